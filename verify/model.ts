/**
 * The facts `talos-ext verify` judges, read out of one to five artifacts by the loader. Checks see only this:
 * plain values, no bytes, so each check is a small pure function and the loader reads every byte once.
 */

import type { ModParam } from "../src/formats/elf/modinfo.js";
import type { Certificate } from "../src/formats/x509/certificate.js";
import type { Entry } from "../src/io/entry.js";
import type { Enforcement } from "../src/talos/enforcement.js";
import type { LayerObject } from "../src/talos/loader/object.js";
import type { Shebang } from "../src/talos/loader/shebang.js";
import type { LayerText } from "../src/talos/loader/world.js";
import type { MachineConfig } from "../src/talos/machine-config.js";
import type { Manifest, ManifestIssue } from "../src/talos/manifest.js";
import type { LayerCache, LayerLibrary, OverlayLayer } from "../src/talos/overlay.js";

/**
 * A firmware file's path: /usr/lib/firmware since the usr merge, /lib/firmware before (quirks.FirmwarePath). The
 * imager moves each extension's firmware there in the initramfs, out of its SquashFS (internal/pkg/extensions
 * Compress), so the loader collects these paths and the firmware check looks them up.
 */
export const FIRMWARE_PATH = /^\/(usr\/)?lib\/firmware\//;

/** The links of the signing chain, in the order the key travels through them. */
export const ROLES = ["kernel", "installer-base", "modules", "extension", "installer"] as const;
export type Role = (typeof ROLES)[number];

/** A certificate built into a kernel image. */
export interface CertFact {
  readonly subject: string;
  readonly issuer: string;
  /** Upper-case colon hex, as `modinfo` prints `sig_key`. */
  readonly serial: string;
  readonly skid?: string;
  /** e.g. `RSA 4096`. */
  readonly key: string;
}

export interface KernelFact {
  /** Where the image is, e.g. `installer.tar!/usr/install/amd64/vmlinuz`. */
  readonly location: string;
  readonly release: string;
  readonly certs: readonly CertFact[];
  /** sha256 of the image file: two artifacts embed the same kernel only if these match. */
  readonly digest: string;
  /** CONFIG_CC_VERSION_TEXT of its built-in configuration, when it carries one. */
  readonly compiler?: string;
  /** The CRC of each symbol it exports, when built with CONFIG_MODVERSIONS. */
  readonly exportCrcs?: ReadonlyMap<string, number>;
  /** Whether a module whose signature fails is refused on the boot this artifact makes, and why. */
  readonly enforcement: Enforcement;
}

/** An Authenticode signature of a PE boot asset, and whether UEFI Secure Boot would accept it. */
export interface BootSignatureFact {
  readonly signer: string;
  readonly issuer: string;
  /** The image hashes to the digest signed, and the signer's key signed it. */
  readonly verifies: boolean;
}

/** A PE boot asset: the UKI (vmlinuz.efi) or systemd-boot. */
export interface PeAssetFact {
  readonly location: string;
  readonly size: number;
  readonly signatures: readonly BootSignatureFact[];
}

/** The boot assets of an installer, as the node's boot partition receives them. */
export interface BootFact {
  /** `uki`: one signed PE carries kernel, initramfs and command line (systemd-boot); `grub`: separate files. */
  readonly layout: "grub" | "uki";
  /** One copy's bytes: kernel and initramfs, or the UKI. */
  readonly assetsSize: number;
  readonly uki?: PeAssetFact & {
    readonly cmdline?: string;
    readonly osRelease?: string;
    readonly uname?: string;
  };
  readonly bootloader?: PeAssetFact;
}

/** A module's appended signature, in `modinfo`'s words. */
export interface SignatureFact {
  readonly signer: string;
  readonly sigKey: string;
  readonly hashAlgo: string;
}

export type Trust =
  /** Signed by a certificate built into the reference kernel, and the signature verifies. */
  | { readonly kind: "trusted"; readonly cert: CertFact }
  /** The signer names a key the kernel does not carry. */
  | { readonly kind: "unknown-key" }
  /** The signer is the kernel's key but the signature does not verify: the module changed after signing. */
  | { readonly kind: "bad-signature"; readonly cert: CertFact }
  | { readonly kind: "unsigned" }
  /** No kernel image among the inputs: the signature could not be judged. */
  | { readonly kind: "no-kernel" };

export interface ModuleFact {
  readonly location: string;
  /** The layer that ships it: `rootfs`, an extension's name, or `image` for a plain image file system. */
  readonly layer: string;
  /** Where that layer is, e.g. `installer.tar!/usr/install/amd64/initramfs.xz!segment 1!rootfs.sqsh`. */
  readonly layerLocation: string;
  /** The path inside that layer, e.g. `/usr/lib/modules/6.1.0/extras/nvidia.ko`. */
  readonly path: string;
  readonly name: string;
  readonly vermagic?: string;
  readonly srcversion?: string;
  readonly version?: string;
  readonly params: readonly ModParam[];
  /** `.modinfo` alias= entries, in order: what depmod writes into modules.alias for the copy it chooses. */
  readonly aliases: readonly string[];
  /** `.modinfo` firmware= entries: files the driver asks the kernel for, under the firmware directory. */
  readonly firmware: readonly string[];
  /** Built in the kernel tree (`intree=Y`), not out of tree. */
  readonly intree: boolean;
  /** The compilers its `.comment` names (`GCC: (Debian 12.2.0-14) 12.2.0`), in order. */
  readonly compilers: readonly string[];
  /** An out-of-tree module's imported symbol CRCs (`__versions`); in-tree modules are the kernel's own build. */
  readonly versions: readonly { readonly name: string; readonly crc: number }[];
  /** The CRCs it exports its symbols with (`__kcrctab`), for the modules that import them. */
  readonly exports: readonly { readonly name: string; readonly crc: number }[];
  readonly signature?: SignatureFact;
  readonly trust: Trust;
}

/**
 * A file of a readable artifact that its reader refused (src/io/errors.ts): where the fault is, and what was
 * expected there. The other files are read on.
 */
export interface FileFault {
  readonly location: string;
  readonly layer: string;
  readonly path: string;
  /** The input the reader named: the file, or a part of it (its payload, a SquashFS image). */
  readonly file: string;
  readonly offset: number;
  readonly structure: string;
  readonly expected: string;
  readonly found?: string;
}

/** An extension as `extensions.yaml` lists it, or an extension image's own manifest. */
export interface ExtensionFact {
  /** Where its rootfs is, as module locations start: the SquashFS in the initramfs, or the extension image. */
  readonly location: string;
  /** The layer file (`001.glibc.sqsh`), or the extension image's file. */
  readonly image: string;
  /**
   * The manifest as Talos reads it; absent when Talos refuses it. An installer keeps only the metadata (in
   * extensions.yaml), read as the manifest it came from.
   */
  readonly manifest?: Manifest;
  /** What reading the manifest found, in file order. */
  readonly issues: readonly ManifestIssue[];
  /** The manifest file, where the artifact carries one (an extension image does): the issues point into it. */
  readonly manifestFile?: string;
  /** Every entry of its rootfs (its root excepted), for the path rules. */
  readonly entries: readonly Entry[];
}

export interface ModprobeFact {
  readonly location: string;
  readonly layer: string;
  readonly path: string;
  readonly text: string;
}

/** An extension service spec file (`/usr/local/etc/containers/<file>.yaml`) as a layer ships it. */
export interface ServiceFact {
  readonly location: string;
  readonly layer: string;
  readonly path: string;
  readonly text: string;
}

/** `modules.dep` as the merged root shows it: module path (relative to the release dir) per module name. */
export interface ModulesDepFact {
  readonly location: string;
  readonly layer: string;
  readonly release: string;
  /** Paths relative to `/usr/lib/modules/<release>/`, as depmod writes them. */
  readonly paths: readonly string[];
}

/** `modules.alias` as the merged root shows it. */
export interface ModulesAliasFact {
  readonly location: string;
  readonly layer: string;
  readonly release: string;
  /** In file order; `module` as depmod names it (from the file name, `-` written `_`). */
  readonly aliases: readonly { readonly alias: string; readonly module: string }[];
}

/** A script a layer ships, and its `#!` line. */
export interface ScriptFact extends Shebang {
  readonly location: string;
  readonly layer: string;
  readonly path: string;
}

/** Everything read from one artifact. */
export interface ArtifactFact {
  readonly role: Role;
  /** The file the user named. */
  readonly file: string;
  /** From the image label `alpha.talos.dev/version` or env `VERSION`. */
  readonly talosVersion?: string;
  readonly kernel?: KernelFact;
  /** An installer's boot assets. */
  readonly boot?: BootFact;
  readonly modules: readonly ModuleFact[];
  /** Firmware files in an installer's initramfs (where the imager moves the extensions' firmware), sorted. */
  readonly firmware: readonly string[];
  readonly extensions: readonly ExtensionFact[];
  /** The overlay, bottom (rootfs) to top, when the artifact is an installer with extensions. */
  readonly layers: readonly OverlayLayer[];
  readonly caches: readonly LayerCache[];
  readonly libraries: readonly LayerLibrary[];
  readonly modprobe: readonly ModprobeFact[];
  readonly services: readonly ServiceFact[];
  /** Every ELF file the layers ship that may be a loader, library or program, with what its loader reads. */
  readonly objects: readonly LayerObject[];
  /** Every executable an extension ships that starts with `#!`: the interpreter the kernel runs it with. */
  readonly scripts: readonly ScriptFact[];
  /** musl's /etc/ld-musl-<arch>.path files. */
  readonly pathFiles: readonly LayerText[];
  /** The winning modules.dep of the overlay. */
  readonly modulesDep?: ModulesDepFact;
  /** The winning modules.alias of the overlay. */
  readonly modulesAlias?: ModulesAliasFact;
  /** Files that could not be read, in path order per layer. */
  readonly faults: readonly FileFault[];
}

export interface VerifyModel {
  /** In chain order (ROLES). */
  readonly artifacts: readonly ArtifactFact[];
  /** `--machine-config`: the modules machined loads, judged against the artifacts' modules. */
  readonly machineConfig?: MachineConfig;
  /** The kernel modules are judged against: the installer's, else the first kernel in chain order. */
  readonly kernel?: KernelFact;
}

export function certFact(c: Certificate): CertFact {
  return { subject: c.subject, issuer: c.issuer, serial: c.serial, key: c.key, ...(c.skid ? { skid: c.skid } : {}) };
}

/** `signer` / `sig_key` of a certificate, as modinfo would print them for a module it signed. */
export const certIdentity = (c: CertFact): string => `"${c.subject}" (serial ${c.serial})`;
export const sigIdentity = (s: SignatureFact): string => `"${s.signer}" (sig_key ${s.sigKey}, ${s.hashAlgo})`;
