import { execFile } from "node:child_process";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { checkRepository } from "../../src/repo/check.js";
import { exitCode } from "../../src/report/check.js";
import { dispose, materialize } from "./variants.js";

const run = promisify(execFile);
const git = (dir: string, ...args: string[]) =>
  run("git", ["-C", dir, "-c", "user.name=fixture", "-c", "user.email=fixture@example.com", ...args]);

async function edit(file: string, from: string, to: string): Promise<void> {
  const text = await readFile(file, "utf8");
  if (!text.includes(from)) throw new Error(`${file} has no ${from}`);
  await writeFile(file, text.replace(from, to));
}

describe("talos-ext check --changed-since", () => {
  it("reports only the extensions whose inputs changed since the ref", async () => {
    const dir = await materialize();
    try {
      // A fault already on the base branch (the toolkit's service without README), then a pull request that
      // breaks uinput.
      await rm(join(dir, "nvidia-gpu/nvidia-container-toolkit/README.md"));
      await git(dir, "init", "-q", "-b", "main");
      await git(dir, "add", "-A");
      await git(dir, "commit", "-q", "-m", "base");
      await git(dir, "checkout", "-q", "-b", "change");
      await edit(join(dir, "drivers/uinput/manifest.yaml.tmpl"), "version: v1alpha1", "version: v1alpha2");
      await git(dir, "commit", "-q", "-am", "break uinput");

      const everything = await checkRepository(dir);
      expect(everything.findings.map((f) => [f.code, f.artifact])).toEqual([
        ["TE5102", "drivers/uinput/manifest.yaml.tmpl"],
        ["TE5112", "nvidia-gpu/nvidia-container-toolkit/production/pkg.yaml"],
      ]);
      const changed = await checkRepository(dir, { changedSince: "main" });
      expect(changed.findings.map((f) => [f.code, f.artifact, f.line])).toEqual([
        ["TE5102", "drivers/uinput/manifest.yaml.tmpl", 1],
      ]);
      expect([...(changed.model?.selected ?? [])].map((e) => e.name)).toEqual(["uinput"]);
      expect(exitCode(changed, "error")).toBe(1);
    } finally {
      await dispose(dir);
    }
  });

  it("selects every extension below a changed vars.yaml and those built on a changed stage", async () => {
    const dir = await materialize();
    try {
      await git(dir, "init", "-q", "-b", "main");
      await git(dir, "add", "-A");
      await git(dir, "commit", "-q", "-m", "base");
      await edit(join(dir, "nvidia-gpu/vars.yaml"), "v1.17.5", "v1.17.6");
      await edit(
        join(dir, "nvidia-gpu/nvidia-container-toolkit/nvidia-pkgs/production/files/15-nvidia-device.rules"),
        "#",
        "# ",
      );
      await git(dir, "commit", "-q", "-am", "bump the toolkit");
      const names = async (ref: string) =>
        [...((await checkRepository(dir, { changedSince: ref })).model?.selected ?? [])].map((e) => e.name);
      expect(await names("HEAD~1")).toEqual([
        "nonfree-kmod-nvidia-production",
        "nvidia-container-toolkit-production",
        "nvidia-open-gpu-kernel-modules-p2p",
      ]);
      await edit(
        join(dir, "nvidia-gpu/nvidia-container-toolkit/nvidia-pkgs/production/files/15-nvidia-device.rules"),
        "# ",
        "#",
      );
      await git(dir, "commit", "-q", "-am", "only the driver stage");
      expect(await names("HEAD~1")).toEqual(["nvidia-container-toolkit-production"]);
      expect(await names("HEAD")).toEqual([]);
    } finally {
      await dispose(dir);
    }
  });

  it("exits 2 when the ref is not a commit or the directory is not a git repository", async () => {
    const dir = await materialize();
    try {
      const notGit = await checkRepository(dir, { changedSince: "main" });
      expect(notGit.inputErrors[0]?.message).toMatch(/--changed-since: "main" is not a commit in /);
      expect(exitCode(notGit, "none")).toBe(2);
      await git(dir, "init", "-q", "-b", "main");
      await git(dir, "add", "-A");
      await git(dir, "commit", "-q", "-m", "base");
      const option = await checkRepository(dir, { changedSince: "--output=/tmp/x" });
      expect(option.inputErrors[0]?.message).toBe('--changed-since: "--output=/tmp/x" is not a git revision');
    } finally {
      await dispose(dir);
    }
  });
});
