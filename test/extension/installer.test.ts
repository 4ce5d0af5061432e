import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { buildExtension } from "../../src/extension/build.js";
import { loadDefinition } from "../../src/extension/definition.js";
import { decompressBuffer } from "../../src/formats/compress/decompress.js";
import { readCpio } from "../../src/formats/cpio/reader.js";
import { type CpioInput, writeCpio } from "../../src/formats/cpio/writer.js";
import { splitInitramfs } from "../../src/formats/initramfs/reader.js";
import { openImageArchive } from "../../src/formats/oci/archive.js";
import { writeImageArchive } from "../../src/formats/oci/write.js";
import { writeTar } from "../../src/formats/tar/write.js";
import { flattenImage, readImageFile } from "../../src/image/image-layers.js";
import { BufferSource } from "../../src/io/source.js";
import { runChecks } from "../../src/report/check.js";
import { checks } from "../../verify/checks/index.js";
import { loadModel } from "../../verify/load.js";

/**
 * extensions/nvidia-p2p built by the SDK from the stand-in module, then put into the clean fixture installer in
 * place of its nvidia-p2p layer, as Talos' imager appends extensions: the appended zstd cpio rewritten with our
 * SquashFS and our manifest metadata in extensions.yaml, the rest of the initramfs and the kernel unchanged.
 */
const FIX = join(import.meta.dirname, "../fixtures/out");
const RELEASE = readFileSync(join(FIX, "extension/release"), "utf8").trim();
const BASE = join(FIX, "installer/clean/installer.tar");
const OURS = join(import.meta.dirname, "../../extensions/nvidia-p2p");
const BOOT = "/usr/install/amd64";
const TALOS = "v1.13.0";

const work = mkdtempSync(join(tmpdir(), "ext-installer-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function buildOurs(module: "a" | "b") {
  const dir = join(work, `ext-${module}`);
  mkdirSync(join(dir, "build", "bin"), { recursive: true });
  const def = parse(readFileSync(join(OURS, "extension.yaml"), "utf8"));
  def.kernel.release = RELEASE;
  def.manifest.compatibility.talos.version = `>= ${TALOS}`;
  writeFileSync(join(dir, "extension.yaml"), stringify(def));
  copyFileSync(join(FIX, "extension", `nvidia.${module}.ko`), join(dir, "build", "nvidia.ko"));
  const probe = join(dir, "probe-build");
  execFileSync("make", ["-s", "-C", join(OURS, "probe"), `BUILD=${probe}`], { stdio: "ignore" });
  copyFileSync(join(probe, "p2p-probe"), join(dir, "build", "bin", "p2p-probe"));
  // No chain given: the build cannot tell the keys apart, which is why the installer must be verified.
  return buildExtension(await loadDefinition(dir), { dir, outDir: join(dir, "_out"), epoch: 1_700_000_000 });
}

async function compose(squashfs: string, metadata: unknown, dest: string): Promise<void> {
  const image = await openImageArchive(BASE);
  let vmlinuz: Uint8Array;
  let initramfs: Uint8Array;
  try {
    const tree = await flattenImage(image);
    vmlinuz = await readImageFile(image, tree, `${BOOT}/vmlinuz`, 1 << 30);
    initramfs = await readImageFile(image, tree, `${BOOT}/initramfs.xz`, 1 << 30);
  } finally {
    await image.close();
  }
  const segments = await splitInitramfs(new BufferSource("initramfs.xz", initramfs));
  const last = segments[segments.length - 1];
  if (last?.compression !== "zstd") throw new Error("the fixture's extensions segment is zstd");
  const cpio = await decompressBuffer("zstd", initramfs.subarray(last.offset, last.offset + last.length), {
    name: "extensions",
    maxOutput: 1 << 30,
  });
  const members: CpioInput[] = [];
  for await (const m of readCpio([cpio], "extensions")) {
    const parts: Uint8Array[] = [];
    for await (const p of m.body()) parts.push(p);
    const data = Buffer.concat(parts);
    if (m.name === "000.nvidia-p2p.sqsh")
      members.push({ name: m.name, type: "file", mode: 0o644, data: readFileSync(squashfs) });
    else if (m.name === "extensions.yaml") {
      const doc = parse(data.toString());
      doc.layers[0].metadata = metadata;
      members.push({ name: m.name, type: "file", mode: 0o644, data: stringify(doc) });
    } else members.push({ name: m.name, type: m.type as "file", mode: m.mode & 0o7777, data });
  }
  const zstd = (await import("zstd-napi")) as unknown as { compress(b: Uint8Array): Buffer };
  const rebuilt = Buffer.concat([initramfs.subarray(0, last.offset), zstd.compress(writeCpio(members))]);

  const layer = join(work, `layer-${Date.now()}.tar`);
  const dirs = ["usr", "usr/install", "usr/install/amd64"].map((name) => ({
    name,
    type: "dir" as const,
    mode: 0o755,
    size: 0,
  }));
  const file = (name: string, b: Uint8Array) => ({
    name,
    type: "file" as const,
    mode: 0o644,
    size: b.length,
    body: () => [b],
  });
  const written = await writeTar(
    layer,
    [...dirs, file("usr/install/amd64/initramfs.xz", rebuilt), file("usr/install/amd64/vmlinuz", vmlinuz)],
    1_700_000_000,
  );
  await writeImageArchive(
    dest,
    { path: layer, ...written },
    {
      ref: `ghcr.io/example/installer:${TALOS}`,
      os: "linux",
      architecture: "amd64",
      created: 1_700_000_000,
      labels: { "alpha.talos.dev/version": TALOS },
    },
  );
}

async function verify(...inputs: { role: "extension" | "installer"; file: string }[]) {
  return (await runChecks(checks, await loadModel(inputs))).findings;
}

/**
 * p2p-probe is built by the host's gcc for glibc's /lib64/ld-linux-x86-64.so.2, and the fixture's glibc layer
 * ships glibc's libraries without that loader: on this node the probe could not start, which TE4003 says.
 */
const PROBE_LOADER =
  "nvidia-p2p: /usr/local/bin/p2p-probe names the loader /lib64/ld-linux-x86-64.so.2, which is not there";

describe("extensions/nvidia-p2p in an installer", () => {
  it("its module verifies when signed by the installer kernel's key; its probe lacks the fixture's glibc loader", async () => {
    const built = await buildOurs("a");
    const installer = join(work, "installer-a.tar");
    await compose(built.squashfs, (await loadDefinition(join(work, "ext-a"))).manifest, installer);
    expect(execFileSync("skopeo", ["inspect", `docker-archive:${installer}`], { encoding: "utf8" })).toContain(TALOS);
    const findings = await verify({ role: "extension", file: built.image }, { role: "installer", file: installer });
    expect(findings.map((f) => [f.code, f.artifact, f.message])).toEqual([["TE4003", installer, PROBE_LOADER]]);
  });

  it("reports the planted fault when the module is signed by another build's key", async () => {
    const built = await buildOurs("b");
    const installer = join(work, "installer-b.tar");
    await compose(built.squashfs, (await loadDefinition(join(work, "ext-b"))).manifest, installer);
    const findings = await verify({ role: "extension", file: built.image }, { role: "installer", file: installer });
    const module = `/usr/lib/modules/${RELEASE}/extras/nvidia.ko`;
    expect(findings.map((f) => [f.code, f.path?.endsWith(module), f.artifact])).toEqual([
      ["TE1002", true, built.image],
      ["TE1006", true, built.image],
      ["TE1002", true, installer],
      ["TE4003", false, installer],
    ]);
  });
});
