/**
 * The fixture in siderolabs/extensions' shape (fixtures/upstream over fixtures/clean), whose CI is green
 * upstream: `talos-ext check` must find no error in it, only the note that qemu is built but not published.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkRepository } from "../../src/repo/check.js";
import { exitCode } from "../../src/report/check.js";
import { dispose, materialize } from "./variants.js";

let dir: string;
beforeAll(async () => {
  dir = await materialize(undefined, "upstream");
});
afterAll(() => dispose(dir));

const summary = (r: Awaited<ReturnType<typeof checkRepository>>) =>
  r.findings.map((f) => `${f.severity} ${f.code} ${f.artifact}`);

describe("talos-ext check in upstream's shape", () => {
  it("exits 0 with no error or warning", async () => {
    const result = await checkRepository(dir);
    expect(result.inputErrors).toEqual([]);
    expect(summary(result)).toEqual(["info TE5116 hypervisors/qemu/pkg.yaml"]);
    expect(exitCode(result, "warning")).toBe(0);
  });

  it("owes the glibc files' acceptance to the exceptions files", async () => {
    const bare = await materialize(undefined, "upstream");
    try {
      await rm(join(bare, "hack"), { recursive: true });
      const codes = summary(await checkRepository(bare));
      expect(codes).toContain("error TE4101 misc/glibc/pkg.yaml");
      expect(codes).toContain("error TE4101 nvidia-gpu/nvidia-container-toolkit/nvidia-pkgs/production/pkg.yaml");
      expect(codes).toContain("warning TE3101 misc/glibc/pkg.yaml");
    } finally {
      await dispose(bare);
    }
  });
});
