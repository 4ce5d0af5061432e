import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkRepository } from "../../src/repo/check.js";
import { exitCode } from "../../src/report/check.js";
import { dispose, materialize } from "./variants.js";

/** Runs the checks on a fresh copy of the clean tree after `spoil` has changed it. */
async function checkSpoiled(spoil: (dir: string) => Promise<void>) {
  const dir = await materialize();
  try {
    await spoil(dir);
    return await checkRepository(dir);
  } finally {
    await dispose(dir);
  }
}

describe("talos-ext check on bad input", () => {
  it("names a symlink loop where a file is read and checks everything else", async () => {
    const result = await checkSpoiled(async (dir) => {
      const list = join(dir, "drivers/uinput/files/modules.txt");
      await rm(list);
      await symlink("modules.txt", list);
    });
    expect(result.inputErrors).toEqual([]);
    expect(result.findings.map((f) => [f.code, f.artifact, f.message])).toEqual([
      [
        "TE5101",
        "drivers/uinput/files/modules.txt",
        "symlink loop: drivers/uinput/files/modules.txt -> drivers/uinput/files/modules.txt",
      ],
    ]);
    expect(exitCode(result, "error")).toBe(1);
  });

  it("walks past directory symlink loops without following them", async () => {
    const result = await checkSpoiled(async (dir) => {
      await symlink("..", join(dir, "nvidia-gpu/loop"));
      await mkdir(join(dir, "misc/a"));
      await symlink("../b", join(dir, "misc/a/b"));
      await symlink("../a", join(dir, "misc/b"));
    });
    expect(result.inputErrors).toEqual([]);
    expect(result.findings).toEqual([]);
    expect(result.model?.tree.entries.get("nvidia-gpu/loop")).toBe("symlink");
  });

  it("refuses binary bytes where YAML is expected, at the offending byte", async () => {
    const nul = await checkSpoiled((dir) =>
      writeFile(join(dir, "firmware/amd-ucode/manifest.yaml.tmpl"), Buffer.from("version: v1alpha1\nmeta\0data:\n")),
    );
    expect(nul.findings.map((f) => [f.code, f.artifact, f.line, f.column, f.message])).toEqual([
      ["TE5101", "firmware/amd-ucode/manifest.yaml.tmpl", 2, 5, "binary data (a NUL byte at offset 22), expected text"],
    ]);
    const latin1 = await checkSpoiled((dir) =>
      writeFile(join(dir, "misc/binfmt-misc/manifest.yaml.tmpl"), Buffer.from([0x76, 0x3a, 0x20, 0xe9, 0x0a])),
    );
    expect(latin1.findings.map((f) => [f.code, f.line, f.column, f.message])).toEqual([
      ["TE5101", 1, 4, "binary data (invalid UTF-8 at offset 3), expected text"],
    ]);
  });

  it("exits 2 for an empty repository, a missing one, and one where nothing could be read", async () => {
    const empty = await mkdtemp(join(tmpdir(), "talos-ext-empty-"));
    try {
      const result = await checkRepository(empty);
      expect(result.inputErrors[0]?.message).toMatch(/^no extension found: no directory holds a pkg\.yaml/);
      expect(exitCode(result, "none")).toBe(2);
      const missing = await checkRepository(join(empty, "nope"));
      expect(missing.inputErrors[0]?.message).toMatch(/^cannot read the repository: ENOENT/);
      await mkdir(join(empty, "broken"));
      await writeFile(join(empty, "broken/pkg.yaml"), Buffer.from([0, 1, 2]));
      await writeFile(join(empty, "broken/manifest.yaml"), Buffer.from([0xff, 0xfe]));
      const unreadable = await checkRepository(empty);
      const unread = unreadable.findings.filter((f) => f.code === "TE5101").map((f) => f.artifact);
      expect(unread).toEqual(["broken/manifest.yaml", "broken/pkg.yaml"]);
      expect(unreadable.inputErrors.map((e) => e.message)).toEqual([
        "nothing could be checked: no selected extension's pkg.yaml or manifest could be read",
      ]);
      expect(exitCode(unreadable, "none")).toBe(2);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
