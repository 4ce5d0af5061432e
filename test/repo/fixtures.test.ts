import { readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { checkRepository } from "../../src/repo/check.js";
import { exitCode } from "../../src/report/check.js";
import { CLEAN, dispose, materialize, variants } from "./variants.js";

/** Directories holding a pkg.yaml and a manifest, found with a plain recursive listing. */
async function extensionDirs(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const files = new Set(entries.filter((e) => e.isFile()).map((e) => relative(root, join(e.parentPath, e.name))));
  return [...files]
    .filter((f) => f.endsWith("pkg.yaml") && f.split("/").pop() === "pkg.yaml")
    .map((f) => f.slice(0, -"/pkg.yaml".length))
    .filter((d) => files.has(`${d}/manifest.yaml.tmpl`) || files.has(`${d}/manifest.yaml`))
    .sort();
}

const all = await variants();

describe("talos-ext check over the repository fixture", () => {
  it("finds every extension by its files and nothing wrong in the clean tree", async () => {
    const result = await checkRepository(CLEAN);
    expect(result.inputErrors).toEqual([]);
    expect(result.findings).toEqual([]);
    expect(result.model?.extensions.map((e) => e.dir)).toEqual(await extensionDirs(CLEAN));
    expect(exitCode(result, "info")).toBe(0);
  });

  it("has one variant for every repository check", async () => {
    const { repoChecks } = await import("../../src/repo/checks/index.js");
    const covered = new Set(all.flatMap((v) => v.expect.map((e) => e.code)));
    expect([...covered].sort()).toEqual(repoChecks.map((c) => c.code).sort());
  });

  it.each(all.map((v) => [v.name, v] as const))("%s gives exactly its finding", async (_, variant) => {
    const dir = await materialize(variant);
    try {
      const result = await checkRepository(dir);
      expect(result.inputErrors).toEqual([]);
      const got = result.findings.map((f) => ({
        code: f.code,
        file: f.artifact,
        ...(f.line === undefined ? {} : { line: f.line }),
        ...(f.column === undefined ? {} : { column: f.column }),
      }));
      const want = variant.expect.map(({ message: _m, ...rest }) => rest);
      expect(got).toEqual(want);
      for (const [i, e] of variant.expect.entries()) {
        if (e.message !== undefined) expect(result.findings[i]?.message).toContain(e.message);
      }
    } finally {
      await dispose(dir);
    }
  });
});
