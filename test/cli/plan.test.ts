import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { plan } from "../../src/cli/plan.js";
import { buildExtension } from "../../src/extension/build.js";
import { defineExtension } from "../../src/extension/definition.js";
import { GENERATED_CACHE_LAYER } from "../../src/extension/plan.js";
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
