import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { plan } from "../../src/cli/plan.js";
import { buildExtension } from "../../src/extension/build.js";
import { defineExtension } from "../../src/extension/definition.js";
import { GENERATED_CACHE_LAYER } from "../../src/extension/plan.js";
import { imagerStackOrder } from "../../src/talos/layer-order.js";
import { CACHE, GLIBC, LIB, makeRoots, NVIDIA } from "../extension/ldcache-roots.js";
import { runCommand } from "./run.js";

const work = mkdtempSync(join(tmpdir(), "plan-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** An extension image of a root's library directory and cache, built by the SDK. */
async function image(name: string, root: string, withCache: boolean): Promise<string> {
  const def = defineExtension({
    manifest: {
      name,
      version: "1.0.0",
      author: "tests",
      description: `${name} libraries`,
      compatibility: { talos: { version: ">= v1.13.0" } },
    },
    image: `ghcr.io/example/${name}`,
    files: [{ from: `${LIB.slice(1)}/*`, to: LIB }, ...(withCache ? [{ from: CACHE.slice(1), to: CACHE }] : [])],
  });
  return (await buildExtension(def, { dir: root, outDir: join(work, "images", name) })).image;
}

let glibc: string;
let toolkit: string;
beforeAll(async () => {
  const roots = makeRoots(work);
  glibc = await image("glibc", roots.glibc, true);
  toolkit = await image("nvidia-container-toolkit", roots.toolkit, true);
});

describe("talos-ext plan", () => {
  it("keeps an order in which the toolkit's cache wins", async () => {
    const r = await runCommand(plan, glibc, toolkit);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^The order given keeps every library visible/);
  });

  it("puts the toolkit above glibc when glibc's cache would hide NVIDIA's libraries", async () => {
    const r = await runCommand(plan, toolkit, glibc, "--format", "json");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out);
    expect(out).toMatchObject({ order: ["glibc", "nvidia-container-toolkit"], reordered: true, generated: [] });
    expect(out.verdicts[0]).toMatchObject({ path: CACHE, winner: "nvidia-container-toolkit", missing: [] });
  });

  it("warns when the imager would re-sort 12 extensions, and gives the input order that stacks the toolkit on top", async () => {
    const filler = join(work, "filler");
    mkdirSync(join(filler, "usr/local/share"), { recursive: true });
    writeFileSync(join(filler, "usr/local/share/filler"), "filler\n");
    const fillers: string[] = [];
    for (const n of "abcdefghij") {
      const def = defineExtension({
        manifest: {
          name: `filler-${n}`,
          version: "1.0.0",
          author: "tests",
          description: "one file",
          compatibility: { talos: { version: ">= v1.13.0" } },
        },
        image: `ghcr.io/example/filler-${n}`,
        files: [{ from: "usr/local/share/filler", to: `/usr/local/share/filler-${n}` }],
      });
      fillers.push((await buildExtension(def, { dir: filler, outDir: join(work, "images", n) })).image);
    }
    // glibc at input 2 and the toolkit at input 10: directory "10" sorts before "2", so glibc's cache would win.
    const given = [fillers[0], fillers[1], glibc, ...fillers.slice(2, 9), toolkit, fillers[9]] as string[];
    const r = await runCommand(plan, ...given);
    expect(r.code).toBe(0);
    const lines = r.out.split("\n");
    expect(lines[0]).toBe(
      "warning: the imager stacks its 12 inputs in the string order of their indices (0, 1, 10, 11, 2, ...),",
    );
    expect(lines[1]).toMatch(
      /^ {2}so the order given would stack as: filler-a, filler-b, nvidia-container-toolkit, filler-j, glibc,/,
    );
    expect(lines[2]).toBe("Give the imager the extensions in this order (changed from the order given):");
    const input = lines.slice(3, 15).map((l) => l.trim().split(/\s+/)[1]);
    const stacked = imagerStackOrder(12).map((i) => input[i]);
    expect(stacked.indexOf("nvidia-container-toolkit")).toBeGreaterThan(stacked.indexOf("glibc"));
    expect(lines[15]).toBe(`which it stacks, bottom to top, as: ${stacked.join(", ")}`);
  });

  it("builds a generated cache layer where no shipped cache is complete; ldconfig -p reads every library in it", async () => {
    // An extra layer shipping NVIDIA's libraries with a cache of its own that lists only them.
    const roots = makeRoots(join(work, "second"));
    execFileSync("/sbin/ldconfig", ["-X", "-r", roots.toolkit, "-f", "/usr/local/glibc/etc/ld.so.conf", "-C", CACHE]);
    const nvidiaOnly = await image("nvidia-libs", roots.toolkit, true);
    const withoutOut = await runCommand(plan, glibc, nvidiaOnly);
    expect(withoutOut.code).toBe(1);
    expect(withoutOut.out).toContain("(generated: use --out)");
    const out = join(work, "generated");
    const r = await runCommand(plan, glibc, nvidiaOnly, "--out", out);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`002  ${GENERATED_CACHE_LAYER}  ${join(out, `${GENERATED_CACHE_LAYER}.tar`)}`);
    const cache = join(work, "generated.cache");
    execFileSync("bash", ["-c", `unsquashfs -cat ${join(out, `${GENERATED_CACHE_LAYER}.sqsh`)} ${CACHE} > ${cache}`]);
    const listed = execFileSync("/sbin/ldconfig", ["-p", "-C", cache], { encoding: "utf8" });
    for (const soname of [...GLIBC, ...NVIDIA]) expect(listed).toContain(`\t${soname} (libc6,x86-64) => ${LIB}/`);
  });
});
