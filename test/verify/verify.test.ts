import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_PLATFORM } from "../../src/formats/oci/archive.js";
import { parseCertificate } from "../../src/formats/x509/certificate.js";
import { exitCode, runChecks } from "../../src/report/check.js";
import { imagerStackOrder } from "../../src/talos/layer-order.js";
import { bootSize } from "../../verify/checks/boot-size.js";
import { checks } from "../../verify/checks/index.js";
import { symbolVersions } from "../../verify/checks/symbol-versions.js";
import { loadModel } from "../../verify/load.js";
import type { ArtifactFact, Role } from "../../verify/model.js";
import { Judge, type ReadModule, readModule } from "../../verify/modules.js";
import { VerifyPool } from "../../verify/pool.js";
import { terminalProgress } from "../../verify/progress.js";

// Talos-shaped installers built by make-installer.sh from real parts, clean and one planted fault each.
const dir = join(import.meta.dirname, "../fixtures/out/installer");
const at = (variant: string, file: string) => join(dir, variant, file);
// The kernel release the fixtures were built for: Debian's headers' release at the time.
const release = readFileSync(join(dir, "../debian-kernel/release"), "utf8").trim();
const rel = release.replaceAll(".", "\\.");

async function verify(variant: string, roles: Role[] = ["installer"]) {
  const files: Record<Role, string> = {
    kernel: "kernel.tar",
    "installer-base": "installer-base.tar",
    modules: "modules.tar",
    extension: "extension.tar",
    installer: "installer.tar",
  };
  const model = await loadModel(roles.map((role) => ({ role, file: at(variant, files[role]) })));
  return { model, result: await runChecks(checks, model) };
}

describe("talos-ext verify on an installer", () => {
  it("the clean installer has no finding, and its model is what the imager built", async () => {
    const { model, result } = await verify("clean");
    expect(result.findings).toEqual([]);
    expect(exitCode(result, "info")).toBe(0);
    const installer = model.artifacts[0];
    expect(installer?.talosVersion).toBe("v1.13.0");
    expect(installer?.layers.map((l) => l.name)).toEqual([
      "rootfs",
      "nvidia-p2p",
      "glibc",
      "nvidia-container-toolkit-production",
      "modules.dep",
    ]);
    expect(model.kernel?.release).toBe(release);
    expect(installer?.modules.every((m) => m.trust.kind === "trusted")).toBe(true);
    const nvidia = installer?.modules.find((m) => m.name === "nvidia");
    expect(nvidia?.layer).toBe("nvidia-p2p");
    // The imager moved the extension's firmware into the initramfs, where the module finds it.
    expect(nvidia?.firmware).toEqual(["nvidia/595.58.03/gsp_ga10x.bin"]);
    expect(installer?.firmware).toEqual(["/usr/lib/firmware/nvidia/595.58.03/gsp_ga10x.bin"]);
  });

  it.each([
    [
      "wrong-key",
      "TE1002",
      /nvidia is signed by "Build time throw-away kernel key" \(sig_key [0-9A-F:]+, sha512\); the kernel .* carries "O=talos-ext test kernel/,
    ],
    [
      "unsigned",
      "TE1001",
      new RegExp(`nvidia \\(/usr/lib/modules/${rel}/extras/nvidia\\.ko in nvidia-p2p\\) carries no appended signature`),
    ],
    [
      "tampered",
      "TE1003",
      /nvidia: the signature by "O=talos-ext test kernel, CN=Build time throw-away kernel key" .* does not match the module's contents/,
    ],
    ["vermagic", "TE2001", new RegExp(`nvidia is built for 6\\.1\\.0-99-amd64; the kernel .* is ${rel}`)],
    [
      "stale-module",
      "TE3001",
      /nvidia is shipped 2 times: rootfs:.*kernel\/drivers\/video\/nvidia\.ko \(version 580\.00\.01.*nvidia-p2p:.*extras\/nvidia\.ko \(version 595\.58\.03.*modules\.dep loads nvidia-p2p:/,
    ],
    [
      "ldcache-shadow",
      "TE4002",
      /glibc's \/usr\/local\/glibc\/etc\/ld\.so\.cache wins over nvidia-container-toolkit-production and lacks libcuda\.so\.1 .*Order that fixes it: rootfs, nvidia-p2p, glibc, nvidia-container-toolkit-production, modules\.dep/,
    ],
    ["talos-version", "TE5002", /version constraint >= v1\.14\.0 can't be satisfied with Talos version 1\.13\.0/],
    [
      "modprobe-typo",
      "TE6001",
      /nvidia has no parameter NVreg_RegistryDword \(it has NVreg_EnableResizableBar, NVreg_RegistryDwords\)/,
    ],
    ["hash-algorithm", "TE1005", /nvidia is hashed with sha256; the kernel's own modules use sha512/],
    ["no-kernel", "TE1004", /^\d+ module\(s\) could not be checked against a kernel$/],
    [
      "stale-modules-alias",
      "TE3003",
      /^modules\.alias maps pci:v000010DEd\*sv\*sd\*bc03sc00i00\* to nvidia, which no copy of it in this artifact declares and lacks pci:v000010DEd\*sv\*sd\*bc03sc\*i00\*; nvidia-p2p:.*extras\/nvidia\.ko \(version 595\.58\.03/,
    ],
    [
      "overlay-conflict",
      "TE4001",
      /^\/usr\/local\/glibc\/etc\/ld\.so\.conf is shipped by glibc, nvidia-container-toolkit-production; nvidia-container-toolkit-production wins$/,
    ],
    ["manifest-invalid", "TE5001", /^metadata\.compatibility\.talos\.version: error parsing Talos version constraint/],
    ["extension-path", "TE5003", /^path "\/etc\/modprobe\.d\/nvidia\.conf" is not allowed in extensions$/],
    [
      "firmware-missing",
      "TE3004",
      /^nvidia \(nvidia-p2p\) asks for nvidia\/595\.58\.03\/gsp_ga10x\.bin, which no layer and not the initramfs carries/,
    ],
    [
      "service-spec",
      "TE5004",
      /^\/usr\/local\/etc\/containers\/nvidia-persistenced\.yaml \(nvidia-p2p\): error unmarshalling extension service config: sometimes does not belong to RestartKind values$/,
    ],
    [
      "service-entrypoint",
      "TE5005",
      /^service nvidia-persistenced \(\/usr\/local\/etc\/containers\/nvidia-persistenced\.yaml\): entrypoint \/usr\/bin\/nvidia-persistenced is not in \/usr\/local\/lib\/containers\/nvidia-persistenced/,
    ],
    [
      "service-interpreter",
      "TE5005",
      /^service nvidia-persistenced \(\/usr\/local\/etc\/containers\/nvidia-persistenced\.yaml\): entrypoint \/usr\/bin\/nvidia-persistenced is a script \(#!\/bin\/sh\) whose interpreter \/bin\/sh is not in \/usr\/local\/lib\/containers\/nvidia-persistenced \(looked for \/bin\/sh\)$/,
    ],
    [
      "compiler-mismatch",
      "TE2003",
      /^nvidia is built by clang \d+\.\d+\.\d+ \("Debian clang version [^"]+"\); the kernel .* by gcc \d+\.\d+\.\d+ \("gcc \(Debian /,
    ],
  ])("%s: exactly its finding, %s", async (variant, code, message) => {
    const { result } = await verify(variant);
    expect(result.findings.map((f) => f.code)).toEqual([code]);
    expect(result.findings[0]?.message).toMatch(message);
    expect(result.inputErrors).toEqual([]);
  });

  it("an older copy that depmod prefers: both copies, and modules.dep and modules.alias naming the old one", async () => {
    const { result } = await verify("stale-modules-dep");
    const byCode = Object.fromEntries(result.findings.map((f) => [f.code, f]));
    expect(result.findings.map((f) => f.code).sort()).toEqual(["TE3001", "TE3002", "TE3003"]);
    expect(byCode.TE3002?.message).toMatch(
      /modules\.dep loads rootfs:.*updates\/nvidia\.ko \(version 580\.00\.01.* for nvidia, not nvidia-p2p:.*extras\/nvidia\.ko \(version 595\.58\.03/,
    );
    expect(byCode.TE3003?.message).toMatch(
      /maps pci:v000010DEd\*sv\*sd\*bc03sc00i00\* to nvidia, aliases of rootfs:.*updates\/nvidia\.ko \(version 580\.00\.01.* and lacks pci:v000010DEd\*sv\*sd\*bc03sc\*i00\*/,
    );
    expect(byCode.TE3003?.path).toMatch(/!modules\.dep\.sqsh!\/usr\/lib\/modules\/[^/]+\/modules\.alias$/);
  });

  it("12 extensions named by input index as the imager has since Talos 1.5: judged in the stacking the imager wrote, and the input order that fixes it", async () => {
    const { model, result } = await verify("many-extensions");
    const installer = model.artifacts[0];
    // extensions.yaml lists the layers 0, 1, 10, 11, 2, ...: the toolkit (input 10) below glibc (input 2).
    expect(installer?.layers.map((l) => l.name).slice(0, 6)).toEqual([
      "rootfs",
      "nvidia-p2p",
      "filler-1",
      "nvidia-container-toolkit-production",
      "filler-11",
      "glibc",
    ]);
    expect(result.findings.map((f) => f.code)).toEqual(["TE4002"]);
    const message = result.findings[0]?.message ?? "";
    const fix = /Order that fixes it: ([^.]+(?:\.dep)?)\./.exec(message)?.[1]?.split(", ") ?? [];
    const input = /hand them to it as ([^.]+)\.$/.exec(message)?.[1]?.split(", ") ?? [];
    expect(input).toHaveLength(12);
    // What the imager stacks from that input order is the fixing order, between the rootfs and modules.dep.
    expect(imagerStackOrder(12).map((i) => input[i])).toEqual(fix.slice(1, -1));
    expect(fix.indexOf("nvidia-container-toolkit-production")).toBeGreaterThan(fix.indexOf("glibc"));
  });

  it("a kernel from another build: one TE1002 per layer, a count and examples, every module in the details", async () => {
    const { model, result } = await verify("stale-kernel");
    const rootfs = model.artifacts[0]?.modules.filter((m) => m.layer === "rootfs") ?? [];
    expect(rootfs.length).toBeGreaterThan(100);
    const unknown = result.findings.filter((f) => f.code === "TE1002");
    // In path order: the rootfs's segment comes before the extensions'.
    expect(unknown.map((f) => f.path?.replace(/^.*initramfs\.xz!/, ""))).toEqual([
      "segment 1!rootfs.sqsh",
      `segment 2!000.nvidia-p2p.sqsh!/usr/lib/modules/${release}/extras/nvidia.ko`,
    ]);
    const [group, single] = unknown;
    expect(single?.message).toMatch(
      /^nvidia is signed by .*; the kernel .* carries "CN=Build time autogenerated kernel key"/,
    );
    expect(single?.details).toBeUndefined();
    expect(group?.message).toMatch(
      new RegExp(
        `^${rootfs.length} modules of rootfs are signed by "Build time throw-away kernel key" .*\\(\\w+, \\w+, \\w+ and ${rootfs.length - 3} more\\); the kernel`,
      ),
    );
    expect(group?.details?.map((d) => d.path)).toEqual(rootfs.map((m) => m.path));
    expect(result.findings.filter((f) => f.code !== "TE1002")).toEqual([]);
  });

  it("shows progress on a terminal: bytes read of the inputs' total and the member being read, then clears", async () => {
    const writes: string[] = [];
    let clock = 0;
    const stream = { isTTY: true, columns: 200, write: (s: string) => writes.push(s) };
    await loadModel(
      [{ role: "installer", file: at("clean", "installer.tar") }],
      DEFAULT_PLATFORM,
      terminalProgress(stream, () => (clock += 1000)),
    );
    const total = (statSync(at("clean", "installer.tar")).size / 2 ** 20).toFixed(1);
    expect(writes[0]).toBe(`\r\x1b[Kverify: 0.0 of ${total} MiB read (0%)  `);
    expect(writes.some((w) => /MiB read \([1-9]\d?%\) {2}.*installer\.tar!.*segment 1!rootfs\.sqsh$/.test(w))).toBe(
      true,
    );
    expect(writes.at(-2)).toMatch(new RegExp(`verify: ${total} of ${total} MiB read \\(100%\\)`));
    expect(writes.at(-1)).toBe("\r\x1b[K");
    expect(terminalProgress({ isTTY: false, write: () => true })).toBeUndefined();
  });
});

describe("talos-ext verify over the five links of the chain", () => {
  const all: Role[] = ["kernel", "installer-base", "modules", "extension", "installer"];

  it("is clean when every link carries the module signed by the kernel's key", async () => {
    const { result } = await verify("clean", all);
    expect(result.findings).toEqual([]);
  });

  it("names the sysext wrapper as the link that broke the chain, with both key identities", async () => {
    const { result } = await verify("wrong-key", all);
    const broke = result.findings.filter((f) => f.code === "TE1006");
    expect(broke).toHaveLength(1);
    expect(broke[0]?.artifact).toBe(at("wrong-key", "extension.tar"));
    expect(broke[0]?.message).toMatch(
      /the chain breaks at the extension link: this copy carries .*sig_key [0-9A-F:]+.*the modules link \(.*modules\.tar\) before it carries .*sig_key [0-9A-F:]+/,
    );
    expect(result.findings.filter((f) => f.code === "TE1002").map((f) => f.artifact)).toEqual([
      at("wrong-key", "extension.tar"),
      at("wrong-key", "installer.tar"),
    ]);
  });

  it("says when the installer embeds another kernel build than the kernel package", async () => {
    const { result } = await verify("stale-kernel", ["kernel", "installer"]);
    const mismatch = result.findings.filter((f) => f.code === "TE2002");
    expect(mismatch).toHaveLength(1);
    expect(mismatch[0]?.artifact).toBe(at("stale-kernel", "kernel.tar"));
    expect(mismatch[0]?.message).toMatch(
      new RegExp(
        `talos-ext test kernel.*differs from .*installer\\.tar!/usr/install/amd64/vmlinuz: ${rel} with "CN=Build time autogenerated kernel key"`,
      ),
    );
  });

  it("an extension image alone has no kernel to judge its module against", async () => {
    const { result } = await verify("clean", ["extension"]);
    expect(result.findings.map((f) => [f.code, f.artifact, f.message])).toEqual([
      ["TE1004", at("clean", "extension.tar"), "1 module(s) could not be checked against a kernel"],
    ]);
  });

  it("judges an extension image's own manifest and tree, with line and column", async () => {
    const manifest = await verify("manifest-invalid", ["kernel", "extension"]);
    expect(manifest.result.findings.map((f) => [f.code, f.line, f.column])).toEqual([["TE5001", 10, 16]]);
    expect(manifest.result.findings[0]?.message).toMatch(
      /extension\.tar!\/manifest\.yaml:10:16: metadata\.compatibility\.talos\.version: error parsing Talos version constraint/,
    );
    const paths = await verify("extension-path", ["kernel", "extension"]);
    expect(paths.result.findings.map((f) => [f.code, f.artifact, f.path])).toEqual([
      [
        "TE5003",
        at("extension-path", "extension.tar"),
        `${at("extension-path", "extension.tar")}!/etc/modprobe.d/nvidia.conf`,
      ],
    ]);
  });

  it("judges a module package alone against a kernel given on its own", async () => {
    const { result, model } = await verify("clean", ["kernel", "modules"]);
    expect(model.kernel?.location).toContain("kernel.tar!/boot/vmlinuz");
    expect(result.findings).toEqual([]);
  });
});

describe("talos-ext verify on the secure-boot twin of each installer (one signed UKI)", () => {
  const variants = readdirSync(dir).filter(
    (v) => existsSync(at(v, "installer-uki.tar")) && existsSync(at(v, "installer.tar")),
  );
  /** Findings with the artifact's own paths written the same way for both layouts. */
  const normalized = async (file: string, initramfs: string, kernel: string) => {
    const model = await loadModel([{ role: "installer", file }]);
    const { findings, inputErrors } = await runChecks(checks, model);
    // The verdict on this boot stays; what enforces it is said in each layout's words.
    const text = JSON.stringify(findings.filter((f) => f.severity !== "info")).replaceAll(
      /; refused at load on this boot \([^)]*\)/g,
      "; refused at load on this boot",
    );
    const same = text.replaceAll(file, "ARTIFACT").replaceAll(`ARTIFACT!${initramfs}`, "INITRAMFS");
    return { model, inputErrors, findings: JSON.parse(same.replaceAll(`ARTIFACT!${kernel}`, "KERNEL")) };
  };

  it("covers every variant with a kernel", () => {
    expect(variants.length).toBeGreaterThanOrEqual(17);
    expect(variants).not.toContain("no-kernel");
  });

  it.each(variants)("%s: the same findings as the classic installer", async (variant) => {
    const uki = at(variant, "installer-uki.tar");
    const classic = at(variant, "installer.tar");
    const a = await normalized(classic, "/usr/install/amd64/initramfs.xz", "/usr/install/amd64/vmlinuz");
    const b = await normalized(uki, "/usr/install/amd64/vmlinuz.efi!.initrd", "/usr/install/amd64/vmlinuz.efi!.linux");
    expect(b.inputErrors).toEqual([]);
    expect(b.findings).toEqual(a.findings);
    expect(b.model.kernel?.digest).toBe(a.model.kernel?.digest);
    expect(b.model.artifacts[0]?.modules.length).toBe(a.model.artifacts[0]?.modules.length);
  });

  it.each([
    [
      "enforcement-off",
      ["TE1001", "TE1007", "TE8001"],
      /carries no appended signature; loaded with a taint on this boot, not refused \(CONFIG_MODULE_SIG_FORCE is off, and neither module\.sig_enforce=1 nor lockdown is on the command line\)$/,
    ],
    [
      "enforcement-forced",
      ["TE1001", "TE8001"],
      /carries no appended signature; refused at load on this boot \(CONFIG_MODULE_SIG_FORCE=y\)$/,
    ],
    [
      "uki-tampered",
      ["TE8001", "TE8002"],
      /^the signature by O=talos-ext fixtures, CN=Throw-away secure boot key does not match the image/,
    ],
  ])("%s: a boot decided by the UKI alone gives %s", async (variant, codes, message) => {
    const model = await loadModel([{ role: "installer", file: at(variant, "installer-uki.tar") }]);
    const { findings, inputErrors } = await runChecks(checks, model);
    expect(inputErrors).toEqual([]);
    expect(findings.map((f) => f.code).sort()).toEqual(codes);
    expect(findings.find((f) => f.code === codes.find((c) => c !== "TE8001" && c !== "TE1007"))?.message).toMatch(
      message,
    );
  });

  it("says the classic installer's modules are refused by Talos' default command line", async () => {
    const { result } = await verify("unsigned");
    expect(result.findings[0]?.message).toMatch(
      /; refused at load on this boot \(module\.sig_enforce=1 on Talos v1\.13\.0's default command line\)$/,
    );
  });

  it("reads the UKI's signer, command line and os-release, and systemd-boot's signer", async () => {
    const model = await loadModel([{ role: "installer", file: at("clean", "installer-uki.tar") }]);
    const boot = model.artifacts[0]?.boot;
    const signer = { signer: "O=talos-ext fixtures, CN=Throw-away secure boot key", verifies: true };
    expect(boot).toMatchObject({
      layout: "uki",
      uki: {
        signatures: [expect.objectContaining(signer)],
        cmdline: "talos.platform=metal console=ttyS0 module.sig_enforce=1",
        uname: release,
        osRelease: expect.stringContaining("VERSION_ID=v1.13.0"),
      },
      bootloader: { signatures: [expect.objectContaining(signer)] },
    });
    expect(model.kernel?.enforcement).toEqual({ kind: "enforced", by: "module.sig_enforce=1 on the command line" });
  });
});

describe("the boot partition budget (TE8003)", () => {
  const MIB = 1024 * 1024;
  /** The sizes GNU tar lists for the installer's boot files. */
  const listed = (file: string, names: string[]) => {
    const manifest = JSON.parse(execFileSync("tar", ["-xOf", file, "manifest.json"], { encoding: "utf8" }));
    const script = `tar -xOf "$0" "$1" | tar -tv`;
    const lines = execFileSync("bash", ["-c", script, file, manifest[0].Layers[0]], { encoding: "utf8" }).split("\n");
    return names.map((n) => Number(lines.find((l) => l.endsWith(n))?.split(/\s+/)[2]));
  };

  it("counts one copy of the boot assets as tar lists them, and stays silent while two fit", async () => {
    const classic = await verify("clean");
    const [kernel, initramfs] = listed(at("clean", "installer.tar"), ["vmlinuz", "initramfs.xz"]);
    expect(classic.model.artifacts[0]?.boot).toEqual({ layout: "grub", assetsSize: (kernel ?? 0) + (initramfs ?? 0) });
    const ukiModel = await loadModel([{ role: "installer", file: at("clean", "installer-uki.tar") }]);
    const [uki, sdboot] = listed(at("clean", "installer-uki.tar"), ["vmlinuz.efi", "systemd-boot.efi"]);
    expect(ukiModel.artifacts[0]?.boot).toMatchObject({ layout: "uki", assetsSize: uki, bootloader: { size: sdboot } });
    expect(classic.result.findings.map((f) => f.code)).not.toContain("TE8003");
  });

  it("warns when two copies leave under a tenth of the partition, or do not fit, with the margin", async () => {
    const { model } = await verify("clean");
    const grown = (assetsSize: number, talosVersion: string) => ({
      ...model,
      artifacts: model.artifacts.map((a) => ({ ...a, talosVersion, boot: { layout: "grub" as const, assetsSize } })),
    });
    const tight = await runChecks([bootSize], grown(900 * MIB, "v1.13.0"));
    expect(tight.findings.map((f) => f.message)).toEqual([]);
    const over = await runChecks([bootSize], grown(950 * MIB, "v1.10.0"));
    expect(over.findings.map((f) => f.message)).toEqual([
      "two copies of the kernel and initramfs take 1900.0 MiB of Talos v1.10.0's BOOT partition (1000.0 MiB): 900.0 MiB too many",
    ]);
    const close = await runChecks([bootSize], grown(920 * MIB, "v1.13.0"));
    expect(close.findings[0]?.message).toMatch(/: only 160\.0 MiB to spare$/);
  });
});

describe("symbol versions against the kernel's exports (TE2004)", () => {
  it("stays silent when the module was built against the kernel it meets (Debian's, with MODVERSIONS)", async () => {
    const { model, result } = await verify("stale-kernel");
    expect(model.kernel?.exportCrcs?.size).toBeGreaterThan(5000);
    const nvidia = model.artifacts[0]?.modules.find((m) => m.name === "nvidia");
    expect(nvidia?.versions.length).toBeGreaterThan(3);
    expect(result.findings.map((f) => f.code)).not.toContain("TE2004");
  });

  /** The stale-kernel installer with `module` in its extension layer, the `index`th __versions CRC flipped. */
  async function withModule(module: string, index?: number) {
    const { model } = await verify("stale-kernel");
    const work = mkdtempSync(join(tmpdir(), "modversions-"));
    const ko = join(work, "module.ko");
    execFileSync("cp", [join(dir, "../extension", module), ko]);
    if (index !== undefined) {
      execFileSync("objcopy", ["--dump-section", `__versions=${join(work, "v")}`, ko]);
      const versions = readFileSync(join(work, "v"));
      versions.writeUInt32LE((versions.readUInt32LE(64 * index) ^ 0xffff) >>> 0, 64 * index);
      writeFileSync(join(work, "v"), versions);
      execFileSync("objcopy", ["--update-section", `__versions=${join(work, "v")}`, ko]);
    }
    const dumped = execFileSync("/sbin/modprobe", ["--dump-modversions", ko], { encoding: "utf8" }).split("\n");
    const at = {
      location: ko,
      layer: "nvidia-p2p",
      layerLocation: ko,
      path: `/usr/lib/modules/${release}/extras/${module}`,
    };
    const [fact] = await new Judge(Promise.resolve(undefined), async () => []).judge([
      await readModule(readFileSync(ko), at),
    ]);
    rmSync(work, { recursive: true, force: true });
    const installer = model.artifacts[0] as ArtifactFact;
    const artifact = { ...installer, modules: [...installer.modules, ...(fact ? [fact] : [])] };
    const { findings } = await runChecks([symbolVersions], { ...model, artifacts: [artifact] });
    return { findings, dumped, installer };
  }

  it("names the symbol whose CRC differs, in a module whose __versions objcopy rewrote", async () => {
    const { findings, dumped } = await withModule("nvidia.unsigned.ko", 1);
    const [crc, name] = (dumped[1] ?? "").split("\t");
    expect(findings.map((f) => f.message)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^nvidia imports 1 symbol\\(s\\) with another CRC than .* or the module exporting it: ${name} \\(0x${Number(crc).toString(16).padStart(8, "0")}, the kernel's 0x[0-9a-f]{8}\\)$`,
        ),
      ),
    ]);
  });

  it("a symbol another module exports: judged against that module's CRC, as Module.symvers lists it", async () => {
    const { findings, dumped, installer } = await withModule("crc-user.ko");
    expect(findings).toEqual([]);
    const libcrc32c = installer.modules.find((m) => m.name === "libcrc32c");
    const symvers = readFileSync(`/usr/src/linux-headers-${release}/Module.symvers`, "utf8");
    const listed = /^(0x[0-9a-f]{8})\tcrc32c\tlib\/libcrc32c\t/m.exec(symvers)?.[1];
    expect(libcrc32c?.exports.find((e) => e.name === "crc32c")?.crc).toBe(Number(listed));
    const index = dumped.findIndex((l) => l.endsWith("\tcrc32c"));
    expect(dumped[index]).toBe(`${listed}\tcrc32c`);

    const flipped = await withModule("crc-user.ko", index);
    const crc = (Number(listed) ^ 0xffff) >>> 0;
    expect(flipped.findings.map((f) => f.message)).toEqual([
      `crc_user imports 1 symbol(s) with another CRC than ${installer.kernel?.location ?? ""} or the module exporting it: crc32c (0x${crc.toString(16).padStart(8, "0")}, libcrc32c's ${listed})`,
    ]);
  });
});

describe("judging signatures", () => {
  it("a module judged on its thread, with the certificates its batch carried, is judged as one checked after", async () => {
    const signed = join(import.meta.dirname, "../fixtures/out/signed-modules");
    // What make-signed-modules.sh signed each with: the kernel's key (by issuer, by key id), the EC key, a
    // tampered module, another build's key, none.
    const names = ["rsa.ko", "skid.ko", "ec.ko", "tampered.ko", "other.ko", "unsigned.ko"];
    const certs = ["kernel.der", "ec.der"].map((f) => parseCertificate(readFileSync(join(signed, f)), f));
    const inputs = names.map((n) => ({
      at: { location: n, layer: "l", layerLocation: "l", path: `/${n}` },
      bytes: new Uint8Array(readFileSync(join(signed, n))),
    }));
    const pool = new VerifyPool();
    try {
      const later = (await pool.modules(inputs)) as ReadModule[];
      const there = (await pool.modules(inputs, certs)) as ReadModule[];
      // No signature bytes come back from a judged batch.
      expect(there.map((m) => m.signed)).toEqual(names.map(() => undefined));
      const judge = () => new Judge(Promise.resolve(certs), (checks) => pool.signatures(checks));
      const facts = await judge().judge(later);
      expect(await judge().judge(there)).toEqual(facts);
      expect(facts.map((m) => m.trust.kind)).toEqual([
        "trusted",
        "trusted",
        "trusted",
        "bad-signature",
        "unknown-key",
        "unsigned",
      ]);
    } finally {
      await pool.close();
    }
  });

  it("a kernel that fails before any module is read fails the run where it is judged, not as an unhandled rejection", async () => {
    const kernel = new Error("kernel image: not a bzImage");
    const judge = new Judge(Promise.reject(kernel), async () => []);
    // Let the rejection go unhandled for a turn of the event loop, as while the layers are read.
    await new Promise((resolve) => setTimeout(resolve, 10));
    await expect(judge.judge([])).rejects.toBe(kernel);
  });
});
