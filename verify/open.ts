/**
 * Opening one input: its image archive, its flattened file system, and the boot assets it carries, if any: a
 * kernel image (`vmlinuz`, with `initramfs.xz` beside it) or, in the secure-boot layout of Talos >= 1.10, a UKI
 * (`vmlinuz.efi`, whose .linux and .initrd sections are read exactly as those files) and `systemd-boot.efi`.
 */
import { createHash } from "node:crypto";
import { readKernelImage } from "../src/formats/kernel/image.js";
import { type Image, openImageArchive, type Platform } from "../src/formats/oci/archive.js";
import { readAuthenticode, verifyAuthenticode } from "../src/formats/pe/authenticode.js";
import { readPeHeader } from "../src/formats/pe/header.js";
import { readUki } from "../src/formats/pe/uki.js";
import type { Certificate } from "../src/formats/x509/certificate.js";
import { flattenImage, imageFileSource } from "../src/image/image-layers.js";
import type { FsTree } from "../src/image/tree.js";
import { BufferSource, type ByteSource, SliceSource } from "../src/io/source.js";
import { chainPath } from "../src/report/finding.js";
import { moduleSignatureEnforcement, talosDefaultArgs } from "../src/talos/enforcement.js";
import { MAX_FILE } from "./layers.js";

/** An initramfs in a compressed layer is read whole to be split; Talos' are tens of MiB. */
const MAX_INITRAMFS = 2 * 2 ** 30;

import {
  type BootFact,
  type BootSignatureFact,
  certFact,
  type KernelFact,
  type PeAssetFact,
  type Role,
} from "./model.js";
import type { Counter } from "./progress.js";

export interface ArtifactInput {
  readonly role: Role;
  readonly file: string;
}

export interface Opened {
  readonly input: ArtifactInput;
  readonly image: Image;
  readonly tree: FsTree;
  readonly kernel?: KernelFact;
  /** The kernel's certificates, with their keys, to verify module signatures with. */
  readonly certificates?: readonly Certificate[];
  readonly boot?: BootFact;
  /** The initramfs to read the layers from: the UKI's .initrd, or the installer's initramfs.xz. */
  readonly initramfs?: ByteSource;
}

const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");
const BOOT_DIR = /^\/(usr\/install\/[^/]+|boot)\//;
const find = (tree: FsTree, name: RegExp) =>
  [...tree.walk()].find((e) => e.type === "file" && BOOT_DIR.test(e.path) && name.test(e.path.replace(BOOT_DIR, "")));

async function peSignatures(src: ByteSource): Promise<BootSignatureFact[]> {
  const header = await readPeHeader(src);
  const out: BootSignatureFact[] = [];
  for (const sig of await readAuthenticode(src, header)) {
    const v = await verifyAuthenticode(src, header, sig);
    out.push({ signer: sig.signer.subject, issuer: sig.signer.issuer, verifies: v.digestMatches && v.signatureValid });
  }
  return out;
}

/** A PE boot asset read in place, named as the user knows it, with its signatures judged. */
async function peAsset(opened: Pick<Opened, "image" | "tree" | "input">, path: string) {
  const inPlace = await imageFileSource(opened.image, opened.tree, path, MAX_FILE);
  const location = chainPath(opened.input.file, path);
  const src = new SliceSource(inPlace, 0, inPlace.size, location);
  const asset: PeAssetFact = { location, size: src.size, signatures: await peSignatures(src) };
  return { src, asset };
}

interface BootCommandLine {
  readonly cmdline?: string;
  readonly cmdlineOrigin?: string;
  readonly secureBoot: boolean;
}

async function kernelFact(src: ByteSource, boot: BootCommandLine) {
  const bytes = await src.read(0, src.size, "kernel image");
  const k = await readKernelImage(new BufferSource(src.name, bytes));
  const compiler = k.config?.get("CONFIG_CC_VERSION_TEXT");
  const { exportCrcs } = k;
  const kernel: KernelFact = {
    location: src.name,
    release: k.release,
    certs: k.certificates.map(certFact),
    digest: sha256(bytes),
    ...(compiler ? { compiler } : {}),
    ...(exportCrcs ? { exportCrcs } : {}),
    enforcement: moduleSignatureEnforcement({ ...(k.config ? { config: k.config } : {}), ...boot }),
  };
  return { kernel, certificates: k.certificates };
}

/** The secure-boot layout: the kernel, initramfs and command line inside one UKI, systemd-boot beside it. */
async function openUki(
  base: Pick<Opened, "input" | "image" | "tree">,
  path: string,
  counter: Counter,
): Promise<Opened> {
  const { src, asset } = await peAsset(base, path);
  const uki = await readUki(src);
  const sdboot = find(base.tree, /^systemd-boot[^/]*\.efi$/);
  const bootloader = sdboot === undefined ? undefined : (await peAsset(base, sdboot.path)).asset;
  counter.read(uki.linux.size + (bootloader?.size ?? 0));
  const cmdline = uki.text.get(".cmdline");
  const { kernel, certificates } = await kernelFact(uki.linux, {
    ...(cmdline !== undefined ? { cmdline } : {}),
    secureBoot: asset.signatures.length > 0,
  });
  const osRelease = uki.text.get(".osrel");
  const uname = uki.text.get(".uname");
  const boot: BootFact = {
    layout: "uki",
    assetsSize: asset.size,
    uki: {
      ...asset,
      ...(cmdline !== undefined ? { cmdline } : {}),
      ...(osRelease !== undefined ? { osRelease } : {}),
      ...(uname !== undefined ? { uname } : {}),
    },
    ...(bootloader ? { bootloader } : {}),
  };
  return { ...base, kernel, certificates, boot, ...(uki.initrd ? { initramfs: uki.initrd } : {}) };
}

export async function openArtifact(input: ArtifactInput, platform: Platform, counter: Counter): Promise<Opened> {
  counter.at(input.file);
  const image = await openImageArchive(input.file, platform);
  const tree = await flattenImage(image);
  const base = { input, image, tree };
  const efi = find(tree, /^vmlinuz\.efi$/);
  if (efi !== undefined) return openUki(base, efi.path, counter);
  const initrd = [...tree.walk()].find(
    (e) => e.type === "file" && /^\/usr\/install\/[^/]+\/initramfs\.xz$/.test(e.path),
  );
  const initramfs =
    initrd === undefined
      ? undefined
      : await imageFileSource(image, tree, initrd.path, MAX_INITRAMFS).then(
          (s) => new SliceSource(s, 0, s.size, chainPath(input.file, initrd.path)),
        );
  const withInitramfs = { ...base, ...(initramfs ? { initramfs } : {}) };
  const vmlinuz = find(tree, /^vmlinuz[^/]*$/);
  if (vmlinuz === undefined) return withInitramfs;
  const inPlace = await imageFileSource(image, tree, vmlinuz.path, MAX_FILE);
  counter.read(inPlace.size);
  // A classic installer's command line is written at install time: Talos' defaults for its release.
  const version = image.talosVersion;
  const src = new SliceSource(inPlace, 0, inPlace.size, chainPath(input.file, vmlinuz.path));
  const { kernel, certificates } = await kernelFact(
    src,
    version === undefined
      ? { secureBoot: false }
      : {
          cmdline: talosDefaultArgs(version, false).join(" "),
          cmdlineOrigin: `Talos ${version}'s default command line`,
          secureBoot: false,
        },
  );
  return {
    ...withInitramfs,
    kernel,
    certificates,
    ...(initramfs ? { boot: { layout: "grub", assetsSize: src.size + initramfs.size } } : {}),
  };
}
