import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { remapPatch } from "../../src/extension/patch-remap.js";

// A GitHub-layout tree, a patch made on it by git, and the same files in the redistribution archive's layout.
const FILES: Record<string, string> = {
  "kernel-open/nvidia/nv-p2p.c": "int p2p(void)\n{\n\treturn 0;\n}\n",
  "src/nvidia/src/kernel/gpu/bus/kern_bus.c": "-- a line that looks like a header\nstatic int bar1 = 256;\n",
  "src/common/inc/nvBldVer.h": "#define NV_BUILD 1\n",
};
const CHANGED: Record<string, string> = {
  "kernel-open/nvidia/nv-p2p.c": "int p2p(void)\n{\n\treturn 1;\n}\n",
  "src/nvidia/src/kernel/gpu/bus/kern_bus.c": "--- a/src/looks/like/a/header\nstatic int bar1 = 65536;\n",
  "src/common/inc/nvBldVer.h": "#define NV_BUILD 2\n",
};

let work: string;
let gitPatch: string;
let plainPatch: string;

function write(root: string, files: Record<string, string>, map: (p: string) => string = (p) => p): void {
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, map(p))), { recursive: true });
    writeFileSync(join(root, map(p)), text);
  }
}
const toRedist = (p: string) => (p.startsWith("src/") ? `src/kernel-module-source/${p}` : p);
const git = (cwd: string, ...args: string[]) => execFileSync("git", args, { cwd, encoding: "utf8" });

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "remap-"));
  const gh = join(work, "github");
  write(gh, FILES);
  git(gh, "init", "-q");
  git(gh, "-c", "user.email=t@example.com", "-c", "user.name=t", "add", ".");
  git(gh, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "base");
  cpSync(gh, join(work, "github-orig"), { recursive: true });
  write(gh, CHANGED);
  gitPatch = git(gh, "diff");
  const r = spawnSync("diff", ["-ruN", "--exclude=.git", "github-orig", "github"], { cwd: work, encoding: "utf8" });
  plainPatch = r.stdout;
  write(join(work, "redist"), FILES, toRedist);
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("remapPatch", () => {
  it("makes a git diff of the GitHub tree apply to the redistribution archive", () => {
    const redist = join(work, "redist");
    writeFileSync(join(work, "orig.diff"), gitPatch);
    writeFileSync(join(work, "remapped.diff"), remapPatch(gitPatch));
    const before = spawnSync("git", ["apply", "--check", join(work, "orig.diff")], { cwd: redist });
    expect(before.status).not.toBe(0);
    git(redist, "apply", join(work, "remapped.diff"));
    for (const [p, text] of Object.entries(CHANGED)) expect(readFileSync(join(redist, toRedist(p)), "utf8")).toBe(text);
  });

  it("rewrites headers only: a hunk line that looks like a header is kept", () => {
    const out = remapPatch(gitPatch);
    expect(out).toContain("\n+--- a/src/looks/like/a/header\n");
    expect(out).toContain("+++ b/src/kernel-module-source/src/nvidia/src/kernel/gpu/bus/kern_bus.c");
    expect(out).toContain("diff --git a/kernel-open/nvidia/nv-p2p.c b/kernel-open/nvidia/nv-p2p.c");
  });

  it("remaps a plain `diff -ruN` patch for `patch -p1`", () => {
    const redist = join(work, "redist-plain");
    write(redist, FILES, toRedist);
    // diff -ruN names the trees github-orig/ and github/; patch -p1 strips them.
    const remapped = remapPatch(plainPatch.replaceAll("github-orig/", "a/").replaceAll(" github/", " b/"));
    execFileSync("patch", ["-p1", "-s"], { cwd: redist, input: remapped });
    for (const [p, text] of Object.entries(CHANGED)) expect(readFileSync(join(redist, toRedist(p)), "utf8")).toBe(text);
  });
});
