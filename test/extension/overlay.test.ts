import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { judgeLdCaches, type LayerCache, type LayerLibrary, pathConflicts } from "../../src/extension/overlay.js";
import { readDynamicInfo } from "../../src/formats/elf/dynamic.js";
import { readLdCache } from "../../src/formats/ldcache/read.js";
import { FileSource } from "../../src/io/source.js";

// Two extensions as the NVIDIA deployment has them: glibc's cache lists glibc only; the toolkit's, made by
// `ldconfig -r` over glibc plus NVIDIA's libraries, lists both. Both ship the same cache path.
const LIB = "/usr/local/glibc/usr/lib";
const CACHE = "/usr/local/glibc/etc/ld.so.cache";
const GLIBC = ["libc.so.6", "libm.so.6"];
const NVIDIA = ["libcuda.so.1", "libnvidia-ml.so.1"];

let work: string;
const caches: LayerCache[] = [];
const libraries: LayerLibrary[] = [];

function ldconfig(root: string): void {
  mkdirSync(join(root, "usr/local/glibc/etc"), { recursive: true });
  writeFileSync(join(root, "usr/local/glibc/etc/ld.so.conf"), `${LIB}\n`);
  execFileSync("/sbin/ldconfig", ["-X", "-r", root, "-f", "/usr/local/glibc/etc/ld.so.conf", "-C", CACHE]);
}

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
  const glibc = join(work, "glibc");
  const toolkit = join(work, "toolkit");
  for (const root of [glibc, toolkit]) {
    mkdirSync(join(root, LIB), { recursive: true });
    for (const l of GLIBC) copyFileSync(`/usr/lib/x86_64-linux-gnu/${l}`, join(root, LIB, l));
  }
  for (const soname of NVIDIA) {
    const c = join(work, `${soname}.c`);
    writeFileSync(c, "int present(void) { return 1; }\n");
    const real = `${soname.replace(/\.1$/, "")}.595.58.03`;
    execFileSync("gcc", ["-shared", "-fPIC", `-Wl,-soname,${soname}`, "-o", join(toolkit, LIB, real), c]);
    symlinkSync(real, join(toolkit, LIB, soname));
  }
  ldconfig(glibc);
  ldconfig(toolkit);
  await collect("glibc", glibc);
  // The toolkit extension ships only NVIDIA's libraries and its cache, not glibc's files.
  for (const l of GLIBC) rmSync(join(toolkit, LIB, l));
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

describe("pathConflicts", () => {
  it("lists each non-directory path shipped twice with its winner", () => {
    const layers = [
      {
        name: "glibc",
        paths: new Map([
          [CACHE, "file" as const],
          ["/usr/local", "dir" as const],
        ]),
      },
      {
        name: "nvidia-container-toolkit",
        paths: new Map([
          [CACHE, "file" as const],
          ["/usr/local", "dir" as const],
        ]),
      },
    ];
    expect(pathConflicts(layers)).toEqual([
      { path: CACHE, providers: ["glibc", "nvidia-container-toolkit"], winner: "nvidia-container-toolkit" },
    ]);
  });
});
