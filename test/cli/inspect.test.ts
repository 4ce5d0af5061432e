import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { inspect } from "../../src/cli/inspect.js";
import { runCommand } from "./run.js";

const installer = join(import.meta.dirname, "../fixtures/out/installer/clean/installer.tar");

const run = (...argv: string[]) => runCommand(inspect, ...argv);

describe("talos-ext inspect", () => {
  it("lists the flattened image: every member GNU tar lists in its layer, with sizes", async () => {
    const manifest = JSON.parse(execFileSync("tar", ["-xOf", installer, "manifest.json"], { encoding: "utf8" }));
    const layer = execFileSync("tar", ["-xOf", installer, manifest[0].Layers[0]], { maxBuffer: 256 << 20 });
    const gnu = execFileSync("tar", ["-tvf", "-"], { input: layer, encoding: "utf8", maxBuffer: 64 << 20 })
      .trim()
      .split("\n")
      .map((l) => l.split(/\s+/))
      .filter((f) => f[5] !== "./" && f[5] !== ".")
      .map((f) => ({ path: `/${(f[5] as string).replace(/^\.\//, "").replace(/\/$/, "")}`, size: Number(f[2]) }));
    const { code, out } = await run(installer, "--json");
    expect(code).toBe(0);
    const doc = JSON.parse(out) as { entries: { path: string; size: number }[] };
    expect(doc.entries.map((e) => ({ path: e.path, size: e.size }))).toEqual(gnu);
  });

  it("splits the installer's initramfs into the imager's three segments", async () => {
    const { code, out } = await run(installer, "/usr/install/amd64/initramfs.xz", "--json");
    expect(code).toBe(0);
    const doc = JSON.parse(out) as { segments: { compression: string; entries: { name: string }[] }[] };
    expect(doc.segments.map((s) => s.compression)).toEqual(["none", "zstd", "zstd"]);
    expect(doc.segments[1]?.entries.map((e) => e.name)).toEqual(["init", "rootfs.sqsh"]);
    expect(doc.segments[2]?.entries.map((e) => e.name)).toContain("extensions.yaml");
  });

  it("prints ls-style lines with the providing layer", async () => {
    const { out } = await run(installer, "/usr/install/amd64");
    expect(out).toMatch(/^drwxr-xr-x 0\/0 +0 +0:[0-9a-f]{12} +\/usr\/install\/amd64$/m);
    expect(out).toMatch(/^-rw-r--r-- 0\/0 +852992 +0:[0-9a-f]{12} +\/usr\/install\/amd64\/vmlinuz$/m);
  });
});
