import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { build } from "../../src/cli/build.js";
import { BuildRefused, buildExtension } from "../../src/extension/build.js";
import { DefinitionError, loadDefinition } from "../../src/extension/definition.js";
import { RootfsError } from "../../src/extension/rootfs.js";
import { parseManifest } from "../../src/talos/manifest.js";
import { runCommand } from "../cli/run.js";
import { expectedEntries } from "../formats/squashfs/read-expected.js";

const FIX = join(import.meta.dirname, "../fixtures/out");
const MODULES = join(FIX, "extension");
const RELEASE = readFileSync(join(MODULES, "release"), "utf8").trim();
const INSTALLER_BASE = join(FIX, "installer/clean/installer-base.tar");
/** The kernel the installer fixtures embed, as the fixture scripts pick it. */
const tinyKernel = () =>
  execFileSync("bash", [join(import.meta.dirname, "../fixtures/tiny-kernel.sh")], { encoding: "utf8" }).trim();

const work = mkdtempSync(join(tmpdir(), "ext-build-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let serial = 0;

const tool = (cmd: string, args: string[]) =>
  execFileSync(cmd, args, { encoding: "utf8", maxBuffer: 64 << 20, env: { ...process.env, LC_ALL: "C" } });

/** An extension directory: a definition in YAML, a module of the given kind in build/, a firmware blob. */
function extensionDir(module: "a" | "b" | "unsigned" | "vermagic" | undefined, extra = "", name = "demo-p2p"): string {
  const dir = join(work, `ext-${serial++}`);
  mkdirSync(join(dir, "build"), { recursive: true });
  mkdirSync(join(dir, "fw"));
  if (module) copyFileSync(join(MODULES, `nvidia.${module}.ko`), join(dir, "build", "nvidia.ko"));
  writeFileSync(join(dir, "fw", "gsp.bin"), Buffer.from([0, 1, 2, 3, 255]));
  writeFileSync(
    join(dir, "extension.yaml"),
    `manifest:
  name: ${name}
  version: 595.58.03-v1.13.0
  author: talos-ext tests
  description: Stand-in NVIDIA module with the P2P registry override
  compatibility:
    talos:
      version: ">= v1.13.0"
image: ghcr.io/example/${name}
kernel:
  release: ${RELEASE}
modules:
  - build/*.ko
firmware:
  - from: fw/gsp.bin
    to: nvidia/595.58.03/gsp_ga10x.bin
modprobe:
  nvidia.conf: |
    options nvidia NVreg_RegistryDwords="ForceP2P=17;RMForceP2PType=1"
files:
  - text: "#!/bin/sh\\necho probe\\n"
    to: /usr/local/bin/p2p-probe
    mode: 0o755
  - symlink: ../bin/p2p-probe
    to: /usr/local/sbin/p2p-probe
${extra}`,
  );
  return dir;
}

const sha = (p: string) => createHash("sha256").update(readFileSync(p)).digest("hex");

describe("talos-ext build: what it writes", () => {
  it("an image skopeo reads as both oci-archive and docker-archive, whose layer GNU tar lists as Talos expects", async () => {
    const dir = extensionDir("a");
    const def = await loadDefinition(dir);
    const out = join(dir, "out");
    const r = await buildExtension(def, { dir, outDir: out, epoch: 1_700_000_000 });
    expect(r.ref).toBe("ghcr.io/example/demo-p2p:595.58.03-v1.13.0");

    const oci = JSON.parse(tool("skopeo", ["inspect", `oci-archive:${r.image}`]));
    expect(oci).toMatchObject({
      Digest: r.manifestDigest,
      Architecture: "amd64",
      Os: "linux",
      Layers: [r.layerDigest],
    });
    expect(oci.Created).toBe("2023-11-14T22:13:20Z");
    const docker = JSON.parse(tool("skopeo", ["inspect", `docker-archive:${r.image}`]));
    expect(docker.Layers).toEqual([r.layerDigest]);

    const copied = join(work, `copy-${serial++}`);
    tool("skopeo", ["copy", `oci-archive:${r.image}`, `dir:${copied}`]);
    const layer = join(copied, r.layerDigest.slice("sha256:".length));
    expect(`sha256:${sha(layer)}`).toBe(r.layerDigest);
    const listing = tool("tar", ["-tvf", layer, "--numeric-owner"]).trimEnd().split("\n");
    const names = listing.map((l) => l.split(/\s+/).slice(5).join(" "));
    expect(names).toEqual([
      "manifest.yaml",
      "rootfs/",
      "rootfs/usr/",
      "rootfs/usr/lib/",
      "rootfs/usr/lib/firmware/",
      "rootfs/usr/lib/firmware/nvidia/",
      "rootfs/usr/lib/firmware/nvidia/595.58.03/",
      "rootfs/usr/lib/firmware/nvidia/595.58.03/gsp_ga10x.bin",
      "rootfs/usr/lib/modules/",
      `rootfs/usr/lib/modules/${RELEASE}/`,
      `rootfs/usr/lib/modules/${RELEASE}/extras/`,
      `rootfs/usr/lib/modules/${RELEASE}/extras/nvidia.ko`,
      "rootfs/usr/local/",
      "rootfs/usr/local/bin/",
      "rootfs/usr/local/bin/p2p-probe",
      "rootfs/usr/local/lib/",
      "rootfs/usr/local/lib/modprobe.d/",
      "rootfs/usr/local/lib/modprobe.d/nvidia.conf",
      "rootfs/usr/local/sbin/",
      "rootfs/usr/local/sbin/p2p-probe -> ../bin/p2p-probe",
    ]);
    expect(listing.every((l) => / 0\/0 /.test(l))).toBe(true);
    expect(listing.find((l) => l.endsWith("bin/p2p-probe"))).toMatch(/^-rwxr-xr-x/);

    const manifest = tool("tar", ["-xOf", layer, "manifest.yaml"]);
    const parsed = parseManifest(manifest, "manifest.yaml");
    expect(parsed.issues).toEqual([]);
    expect(parsed.manifest?.metadata).toMatchObject(def.manifest);
    expect(tool("tar", ["-xOf", layer, "rootfs/usr/local/lib/modprobe.d/nvidia.conf"])).toBe(
      def.modprobe["nvidia.conf"],
    );
    expect(tool("modinfo", ["-F", "signer", join(MODULES, "nvidia.a.ko")])).toBe(
      execFileSync(
        "bash",
        [
          "-c",
          `tar -xOf ${layer} rootfs/usr/lib/modules/${RELEASE}/extras/nvidia.ko > ${copied}/m.ko && modinfo -F signer ${copied}/m.ko`,
        ],
        {
          encoding: "utf8",
        },
      ),
    );
  });

  it("a SquashFS of the rootfs alone, as the imager makes it: root-owned, labelled system_extension_t", async () => {
    const dir = extensionDir("a");
    const r = await buildExtension(await loadDefinition(dir), { dir, outDir: join(dir, "out"), epoch: 1_700_000_000 });
    expect(tool("unsquashfs", ["-s", r.squashfs])).toMatch(/Compression zstd[\s\S]*compression-level 18/);
    const { entries } = expectedEntries(r.squashfs);
    expect([...entries.keys()]).toContain(`/usr/lib/modules/${RELEASE}/extras/nvidia.ko`);
    expect([...entries.keys()].some((p) => p.startsWith("/rootfs") || p === "/manifest.yaml")).toBe(false);
    for (const [path, f] of entries) {
      expect({ path, uid: f.uid, gid: f.gid, mtime: f.mtime }).toEqual({ path, uid: 0, gid: 0, mtime: 1_700_000_000 });
      expect(Buffer.from(f.xattrs["security.selinux"] ?? "", "hex").toString()).toBe(
        "system_u:object_r:system_extension_t:s0\0",
      );
    }
    expect(entries.get(`/usr/lib/modules/${RELEASE}/extras/nvidia.ko`)?.sha256).toBe(sha(join(MODULES, "nvidia.a.ko")));
  });

  it("the same inputs give the same bytes; another SOURCE_DATE_EPOCH another digest", async () => {
    const dir = extensionDir("a");
    const def = await loadDefinition(dir);
    const one = await buildExtension(def, { dir, outDir: join(dir, "one"), epoch: 1 });
    const two = await buildExtension(def, { dir, outDir: join(dir, "two"), epoch: 1 });
    expect(sha(one.image)).toBe(sha(two.image));
    expect(sha(one.squashfs)).toBe(sha(two.squashfs));
    process.env.SOURCE_DATE_EPOCH = "2";
    try {
      const three = await buildExtension(def, { dir, outDir: join(dir, "three") });
      expect(three.manifestDigest).not.toBe(one.manifestDigest);
    } finally {
      delete process.env.SOURCE_DATE_EPOCH;
    }
  });

  it("--check-chain: a module signed by the installer-base kernel's key builds with no finding", async () => {
    const dir = extensionDir("a");
    const r = await buildExtension(await loadDefinition(dir), {
      dir,
      outDir: join(dir, "out"),
      checkChain: INSTALLER_BASE,
    });
    expect(r.findings).toEqual([]);
  });
});

describe("talos-ext build: files from another image archive", () => {
  it("takes a file out of an image (here the installer-base's kernel) without unpacking it", async () => {
    const dir = extensionDir(
      "a",
      "  - image: base.tar\n    path: /usr/install/amd64/vmlinuz\n    to: /usr/local/share/boot/vmlinuz\n",
    );
    copyFileSync(INSTALLER_BASE, join(dir, "base.tar"));
    const r = await buildExtension(await loadDefinition(dir), { dir, outDir: join(dir, "out") });
    const got = execFileSync("unsquashfs", ["-cat", r.squashfs, "/usr/local/share/boot/vmlinuz"], {
      maxBuffer: 64 << 20,
    });
    expect(createHash("sha256").update(got).digest("hex")).toBe(sha(join(tinyKernel(), "vmlinuz")));
  });

  it("names the image and path when the file is not there", async () => {
    const dir = extensionDir(
      "a",
      "  - image: base.tar\n    path: /usr/install/amd64/nothing\n    to: /usr/local/share/x\n",
    );
    copyFileSync(INSTALLER_BASE, join(dir, "base.tar"));
    await expect(buildExtension(await loadDefinition(dir), { dir, outDir: join(dir, "out") })).rejects.toThrow(
      /files\[2\]: \/usr\/local\/share\/x: .*base\.tar has no regular file at \/usr\/install\/amd64\/nothing/,
    );
  });
});

describe("talos-ext build: refusals leave nothing behind", () => {
  const refused = async (dir: string, checkChain?: string) => {
    const out = join(dir, "out");
    const err = await buildExtension(await loadDefinition(dir), {
      dir,
      outDir: out,
      ...(checkChain ? { checkChain } : {}),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BuildRefused);
    expect(readdirSync(out)).toEqual([]);
    const findings = (err as BuildRefused).result.findings.filter((f) => f.severity === "error");
    return findings.map((f) => `${f.code} ${f.path ?? ""}`);
  };
  const at = (what: string) => join("out", "demo-p2p.tar") + what;

  it("a module signed by another build's key (TE1002, and the chain breaks at this link: TE1006)", async () => {
    const dir = extensionDir("b");
    const codes = await refused(dir, INSTALLER_BASE);
    const module = at(`!/usr/lib/modules/${RELEASE}/extras/nvidia.ko`);
    expect(codes.map((c) => c.replace(dir, "").replace(/^(\S+) \//, "$1 "))).toEqual([
      `TE1002 ${module}`,
      `TE1006 ${module}`,
    ]);
  });

  it("an unsigned module (TE1001)", async () => {
    expect((await refused(extensionDir("unsigned"))).map((c) => c.split(" ")[0])).toEqual(["TE1001"]);
  });

  it("a module for another kernel release than kernel.release (TE2001), with or without a chain", async () => {
    expect((await refused(extensionDir("vermagic"))).map((c) => c.split(" ")[0])).toEqual(["TE2001"]);
    expect((await refused(extensionDir("vermagic"), INSTALLER_BASE)).map((c) => c.split(" ")[0])).toEqual(["TE2001"]);
  });

  it("a file outside Talos' allowed paths (TE5003)", async () => {
    const dir = extensionDir("a", "  - text: x\n    to: /opt/tool/x\n");
    expect((await refused(dir)).map((c) => c.split(" ")[0])).toEqual(["TE5003"]);
  });

  it("a symlink that climbs out of the rootfs, or two sources for one path", async () => {
    const climbing = extensionDir("a", "  - symlink: ../../../../../etc/shadow\n    to: /usr/local/bin/x\n");
    await expect(
      buildExtension(await loadDefinition(climbing), { dir: climbing, outDir: join(climbing, "out") }),
    ).rejects.toThrow(
      new RootfsError("files[2]", "/usr/local/bin/x", "symlink to ../../../../../etc/shadow escapes the rootfs"),
    );
    const twice = extensionDir("a", "  - text: x\n    to: /usr/local/lib/modprobe.d/nvidia.conf\n");
    await expect(
      buildExtension(await loadDefinition(twice), { dir: twice, outDir: join(twice, "out") }),
    ).rejects.toThrow(
      /files\[2\]: \/usr\/local\/lib\/modprobe\.d\/nvidia\.conf: also installed by modprobe\.nvidia\.conf/,
    );
  });

  it("a definition error names the file, line and column", async () => {
    const dir = extensionDir("a", "", "Bad_Name");
    const err = await loadDefinition(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DefinitionError);
    expect((err as Error).message.split("\n")).toEqual([
      `${join(dir, "extension.yaml")}:2:9: manifest.name: lower-case letters, digits, '.' and '-'`,
      `${join(dir, "extension.yaml")}:9:8: image: an image repository such as ghcr.io/org/name`,
    ]);
    writeFileSync(join(dir, "extension.yaml"), "manifest: [unclosed\n");
    await expect(loadDefinition(dir)).rejects.toThrow(/extension\.yaml:2:1: YAML: /);
    // An alias without its anchor parses, and fails only when the document is converted: at the alias.
    writeFileSync(join(dir, "extension.yaml"), "manifest:\n  name: a\n  author: *nowhere\n");
    await expect(loadDefinition(dir)).rejects.toThrow(/extension\.yaml:3:11: YAML: Unresolved alias/);
  });
});

describe("talos-ext build (command)", () => {
  it("prints the digest and exits 0; exits 1 on a refusal and names what was found", async () => {
    const ok = extensionDir("a");
    const r = await runCommand(build, ok, "--out", join(ok, "o"), "--check-chain", INSTALLER_BASE);
    expect(r.code).toBe(0);
    const digest = /^digest\s+(sha256:[0-9a-f]{64})$/m.exec(r.out)?.[1];
    expect(JSON.parse(tool("skopeo", ["inspect", `oci-archive:${join(ok, "o", "demo-p2p.tar")}`])).Digest).toBe(digest);
    const bad = extensionDir("b");
    const refused = await runCommand(build, bad, "--out", join(bad, "o"), "--check-chain", INSTALLER_BASE);
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(/error TE1002\s+Module signed by a key the kernel does not carry/);
  });

  it("a module glob that matches nothing yet still builds, and says so", async () => {
    const dir = extensionDir(undefined);
    const r = await buildExtension(await loadDefinition(dir), { dir, outDir: join(dir, "out") });
    expect(r.unmatched).toEqual(["build/*.ko"]);
    expect(r.findings).toEqual([]);
  });
});
