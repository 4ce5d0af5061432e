import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { check } from "../../src/cli/check.js";
import { repoChecks } from "../../src/repo/checks/index.js";
import { runCommand } from "../cli/run.js";
import { CLEAN, dispose, materialize, variants } from "./variants.js";

const run = (...argv: string[]) => runCommand(check, ...argv);
const byName = new Map((await variants()).map((v) => [v.name, v]));

async function withVariant<T>(name: string, f: (dir: string) => Promise<T>): Promise<T> {
  const dir = await materialize(byName.get(name));
  try {
    return await f(dir);
  } finally {
    await dispose(dir);
  }
}

describe("talos-ext check (command)", () => {
  it("exits 0 on the clean tree and says so", async () => {
    const { code, out } = await run(CLEAN);
    expect(code).toBe(0);
    expect(out).toBe("No findings.\n");
  });

  it("exits 1 on an error finding; --fail-on sets the threshold as for verify", async () => {
    await withVariant("talos-incompatible", async (dir) => {
      expect((await run(dir)).code).toBe(1);
      expect((await run(dir, "--fail-on", "none")).code).toBe(0);
    });
    await withVariant("shared-path", async (dir) => {
      expect((await run(dir)).code).toBe(0);
      expect((await run(dir, "--fail-on", "warning")).code).toBe(1);
    });
    await withVariant("readme-missing", async (dir) => {
      expect((await run(dir, "--fail-on", "warning")).code).toBe(0);
      expect((await run(dir, "--fail-on", "info")).code).toBe(1);
    });
  });

  it("prints each finding at REPO/file:line:column in the human report", async () => {
    await withVariant("talos-incompatible", async (dir) => {
      const { out } = await run(dir);
      expect(out).toContain(`${join(dir, "misc/glibc/manifest.yaml.tmpl")}:10:16`);
      expect(out).toContain("TE5113  Compatibility constraint excludes the Talos release being built for");
      expect(out).toMatch(/1 finding: 1 error, 0 warnings, 0 info\.\n$/);
    });
  });

  it("writes JSON, SARIF with every repository check as a rule, and GitHub annotations", async () => {
    await withVariant("talos-incompatible", async (dir) => {
      const file = join(dir, "misc/glibc/manifest.yaml.tmpl");
      const json = JSON.parse((await run(dir, "--format", "json")).out);
      expect(json.exitCode).toBe(1);
      expect(json.findings).toMatchObject([{ code: "TE5113", artifact: file, line: 10, column: 16 }]);

      const sarif = JSON.parse((await run(dir, "--format", "sarif")).out);
      const ids = sarif.runs[0].tool.driver.rules.map((r: { id: string }) => r.id);
      expect(ids).toEqual(repoChecks.map((c) => c.code).sort());
      expect(sarif.runs[0].results[0]).toMatchObject({
        ruleId: "TE5113",
        level: "error",
        locations: [{ physicalLocation: { region: { startLine: 10, startColumn: 16 } } }],
      });

      const github = (await run(dir, "--format", "github")).out;
      expect(github).toMatch(
        /^::error title=TE5113 Compatibility constraint excludes the Talos release being built for,/,
      );
      expect(github).toContain(`file=${file},line=10,col=16::`);
    });
  });

  it("judges paths and constraints for the Talos release given with --talos", async () => {
    const { code, out } = await run(CLEAN, "--talos", "v1.12.0", "--format", "json");
    expect(code).toBe(1);
    const findings = JSON.parse(out).findings.map((f: { code: string; artifact: string; line: number }) => [
      f.code,
      f.artifact.slice(CLEAN.length + 1),
      f.line,
    ]);
    // /etc/ld.so.conf, /etc/ld.so.cache and the /usr/bin/nvidia-* links joined the allowed paths in
    // v1.13.0-rc.0; the P2P modules ask for v1.13.
    expect(findings).toEqual([
      ["TE5111", "misc/glibc/pkg.yaml", 45],
      ["TE5111", "misc/glibc/pkg.yaml", 52],
      ["TE5111", "nvidia-gpu/nvidia-container-toolkit/nvidia-pkgs/production/pkg.yaml", 32],
      ["TE5111", "nvidia-gpu/nvidia-container-toolkit/nvidia-pkgs/production/pkg.yaml", 33],
      ["TE5113", "nvidia-gpu/nvidia-modules/p2p/manifest.yaml.tmpl", 10],
    ]);
    await expect(run(CLEAN, "--talos", "one")).rejects.toThrow(/^--talos: /);
  });

  it("exits 2 when nothing could be checked", async () => {
    const empty = await mkdtemp(join(tmpdir(), "talos-ext-empty-"));
    try {
      const { code, out } = await run(empty, "--format", "json");
      expect(code).toBe(2);
      expect(JSON.parse(out).inputErrors[0]).toEqual({
        artifact: empty,
        message: "no extension found: no directory holds a pkg.yaml next to a manifest.yaml.tmpl or manifest.yaml",
      });
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
