import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GENERATED_CACHE_LAYER, planOverlay } from "../../src/extension/plan.js";
import { readDynamicInfo } from "../../src/formats/elf/dynamic.js";
import { readLdCache } from "../../src/formats/ldcache/read.js";
import { writeLdCache } from "../../src/formats/ldcache/write.js";
import { FileSource } from "../../src/io/source.js";
import { imagerInputOrder, imagerStackOrder } from "../../src/talos/layer-order.js";
import { judgeLdCaches, type LayerCache, type LayerLibrary, pathConflicts } from "../../src/talos/overlay.js";
import { CACHE, GLIBC, LIB, makeRoots, NVIDIA } from "../extension/ldcache-roots.js";

let work: string;
const caches: LayerCache[] = [];
const libraries: LayerLibrary[] = [];

async function collect(layer: string, root: string): Promise<void> {
  const src = await FileSource.open(join(root, CACHE));
  caches.push({ layer, path: CACHE, entries: (await readLdCache(src)).entries });
  await src.close();
  for (const f of readdirSync(join(root, LIB), { withFileTypes: true })) {
    if (!f.isFile()) continue;
    const lib = await FileSource.open(join(root, LIB, f.name));
    const soname = (await readDynamicInfo(lib))?.soname;
    await lib.close();
    if (soname !== undefined) libraries.push({ layer, path: `${LIB}/${f.name}`, soname });
  }
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "overlay-"));
  const { glibc, toolkit } = makeRoots(work);
  await collect("glibc", glibc);
  await collect("nvidia-container-toolkit", toolkit);
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("judgeLdCaches on caches written by ldconfig", () => {
  it("is clean when the toolkit's cache wins", () => {
    const [v] = judgeLdCaches(["rootfs", "glibc", "nvidia-container-toolkit"], caches, libraries);
    expect(v?.winner).toBe("nvidia-container-toolkit");
    expect(v?.providers).toEqual(["glibc", "nvidia-container-toolkit"]);
    expect(v?.missing).toEqual([]);
    expect(v?.fixOrder).toBeUndefined();
  });

  it("names NVIDIA's libraries lost when glibc's cache wins, and the order that fixes it", () => {
    const order = ["rootfs", "nvidia-p2p", "nvidia-container-toolkit", "glibc", "modules.dep"];
    const [v] = judgeLdCaches(order, caches, libraries);
    expect(v?.winner).toBe("glibc");
    expect(v?.missing.map((m) => m.soname).sort()).toEqual([...NVIDIA].sort());
    expect(v?.missing.every((m) => m.layer === "nvidia-container-toolkit")).toBe(true);
    expect(v?.shadowed).toEqual([{ layer: "nvidia-container-toolkit", lost: [...NVIDIA].sort() }]);
    expect(v?.fixOrder).toEqual(["rootfs", "nvidia-p2p", "glibc", "nvidia-container-toolkit", "modules.dep"]);
  });

  it("offers no order when no shipped cache is complete", () => {
    const extra: LayerLibrary = { layer: "other", path: `${LIB}/libextra.so.1`, soname: "libextra.so.1" };
    const [v] = judgeLdCaches(["rootfs", "glibc", "nvidia-container-toolkit", "other"], caches, [...libraries, extra]);
    expect(v?.missing.map((m) => m.soname)).toEqual(["libextra.so.1"]);
    expect(v?.fixOrder).toBeUndefined();
  });
});

describe("planOverlay", () => {
  it("keeps an order that already works", () => {
    const plan = planOverlay(["nvidia-p2p", "glibc", "nvidia-container-toolkit"], caches, libraries);
    expect(plan).toMatchObject({ order: ["nvidia-p2p", "glibc", "nvidia-container-toolkit"], reordered: false });
    expect(plan.generated).toEqual([]);
  });

  it("moves the toolkit above glibc, as the P2P deployment had to", () => {
    const plan = planOverlay(["nvidia-p2p", "nvidia-container-toolkit", "glibc", "btrfs"], caches, libraries);
    expect(plan.order).toEqual(["nvidia-p2p", "glibc", "nvidia-container-toolkit", "btrfs"]);
    expect(plan.reordered).toBe(true);
    expect(plan.verdicts.every((v) => v.missing.length === 0)).toBe(true);
  });

  it("judges 12 extensions as the imager stacks them and gives the input order that keeps the toolkit on top", () => {
    // glibc handed in at input 2, the toolkit at 10: directory "10" sorts before "2", so glibc would win.
    const given = ["nvidia-p2p", "a", "glibc", "b", "c", "d", "e", "f", "g", "h", "nvidia-container-toolkit", "i"];
    const plan = planOverlay(given, caches, libraries);
    expect(plan.resorted).toEqual([
      ...["nvidia-p2p", "a", "nvidia-container-toolkit", "i", "glibc"],
      ...["b", "c", "d", "e", "f", "g", "h"],
    ]);
    expect(plan.reordered).toBe(true);
    expect(plan.verdicts.every((v) => v.missing.length === 0)).toBe(true);
    const stackedFromInput = imagerStackOrder(plan.input.length).map((i) => plan.input[i]);
    expect(stackedFromInput).toEqual(plan.order);
    expect(plan.order.indexOf("nvidia-container-toolkit")).toBeGreaterThan(plan.order.indexOf("glibc"));
  });

  it("keeps an input order of 12 already arranged for the sort", () => {
    const given = ["nvidia-p2p", "glibc", ..."abcdefghi", "nvidia-container-toolkit"];
    const plan = planOverlay(imagerInputOrder(given), caches, libraries);
    expect(plan.resorted).toEqual(given);
    expect(plan.order).toEqual(given);
    expect(plan.reordered).toBe(false);
  });

  it("generates a cache of every layer's entries when no shipped cache is complete; ldconfig -p reads it", () => {
    // The toolkit's cache as if made over NVIDIA's libraries alone: neither cache lists both sets.
    const nvidiaOnly = caches.map((c) =>
      c.layer === "nvidia-container-toolkit"
        ? { ...c, entries: c.entries.filter((e) => !GLIBC.includes(e.soname)) }
        : c,
    );
    const plan = planOverlay(["glibc", "nvidia-container-toolkit"], nvidiaOnly, libraries);
    expect(plan.order).toEqual(["glibc", "nvidia-container-toolkit", GENERATED_CACHE_LAYER]);
    expect(plan.verdicts.map((v) => [v.winner, v.missing])).toEqual([[GENERATED_CACHE_LAYER, []]]);
    const [gen] = plan.generated;
    expect(gen?.path).toBe(CACHE);
    expect(gen?.missing).toEqual([]);
    const file = join(work, "generated.cache");
    writeFileSync(file, writeLdCache(gen?.libs ?? []));
    const listed = execFileSync("/sbin/ldconfig", ["-p", "-C", file], { encoding: "utf8" });
    for (const soname of [...GLIBC, ...NVIDIA])
      expect(listed).toMatch(new RegExp(`\\t${soname.replaceAll(".", "\\.")} \\(libc6,x86-64\\) => ${LIB}/`));
  });
});

describe("pathConflicts", () => {
  it("lists each non-directory path shipped twice with its winner", () => {
    const layers = [
      {
        name: "glibc",
        entries: [
          { path: CACHE, type: "file" as const },
          { path: "/usr/local", type: "dir" as const },
        ],
      },
      {
        name: "nvidia-container-toolkit",
        entries: [
          { path: CACHE, type: "file" as const },
          { path: "/usr/local", type: "dir" as const },
        ],
      },
    ];
    expect(pathConflicts(layers)).toEqual([
      { path: CACHE, providers: ["glibc", "nvidia-container-toolkit"], winner: "nvidia-container-toolkit" },
    ]);
  });
});
