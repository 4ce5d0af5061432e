/**
 * Opening one input: its image archive, its flattened file system, and the boot assets it carries, if any: a
 * kernel image (`vmlinuz`, with `initramfs.xz` beside it) or, in the secure-boot layout of Talos >= 1.10, a UKI
 * (`vmlinuz.efi`, whose .linux and .initrd sections are read exactly as those files) and `systemd-boot.efi`.
 */
import { type Image, openImageArchive, type Platform } from "../src/formats/oci/archive.js";
import { judgeAuthenticode } from "../src/formats/pe/authenticode.js";
import { type PeHeader, readPeHeader } from "../src/formats/pe/header.js";
import { readUki } from "../src/formats/pe/uki.js";
import { flattenImage, imageFileSource } from "../src/image/image-layers.js";
import type { FsEntry, FsTree } from "../src/image/tree.js";
import { type ByteSource, SliceSource } from "../src/io/source.js";
import { chainPath } from "../src/report/finding.js";
import { talosDefaultArgs } from "../src/talos/enforcement.js";
import type { BootCommandLine, ReadKernel } from "./kernel.js";
import { MAX_FILE } from "./layers.js";

/** An initramfs in a compressed layer is read whole to be split; Talos' are tens of MiB. */
const MAX_INITRAMFS = 2 * 2 ** 30;

import type { BootFact, BootSignatureFact, PeAssetFact, Role } from "./model.js";
import type { VerifyPool } from "./pool.js";
import type { Counter } from "./progress.js";

export interface ArtifactInput {
  readonly role: Role;
  readonly file: string;
}

export interface Opened {
  readonly input: ArtifactInput;
  readonly image: Image;
  readonly tree: FsTree;
  /** Its kernel, read on the pool while the layers are: the reference kernel's certificates judge modules. */
  readonly kernel?: Promise<ReadKernel>;
  readonly boot?: BootFact;
  /** The initramfs to read the layers from: the UKI's .initrd, or the installer's initramfs.xz. */
  readonly initramfs?: ByteSource;
}

const BOOT_DIR = /^\/(usr\/install\/[^/]+|boot)\//;
/** The files under the boot directories (/boot, /usr/install/<arch>/), in walk order: one walk of the tree. */
const bootFiles = (tree: FsTree): FsEntry[] =>
  [...tree.walk()].filter((e) => e.type === "file" && BOOT_DIR.test(e.path));
const find = (files: readonly FsEntry[], name: RegExp) => files.find((e) => name.test(e.path.replace(BOOT_DIR, "")));

/** A file of the image read in place where its layer allows, named as the user knows it (`input.tar!/path`). */
async function bootSource(
  opened: Pick<Opened, "image" | "tree" | "input">,
  path: string,
  maxSize = MAX_FILE,
): Promise<ByteSource> {
  const inPlace = await imageFileSource(opened.image, opened.tree, path, maxSize);
  return new SliceSource(inPlace, 0, inPlace.size, chainPath(opened.input.file, path));
}

/** The asset's size and its signatures as Secure Boot judges them. */
async function peAsset(src: ByteSource, header: PeHeader): Promise<PeAssetFact> {
  const signatures: BootSignatureFact[] = (await judgeAuthenticode(src, header)).map(({ signature, verdict }) => ({
    signer: signature.signer.subject,
    issuer: signature.signer.issuer,
    verifies: verdict.digestMatches && verdict.signatureValid,
  }));
  return { location: src.name, size: src.size, signatures };
}

/** The kernel at `src`, read on the pool; the caller goes on meanwhile, and awaits it when it needs it. */
function kernelFact(pool: VerifyPool, src: ByteSource, boot: BootCommandLine) {
  const kernel = src.read(0, src.size, "kernel image").then((b) => pool.kernel(b, src.name, boot));
  kernel.catch(() => undefined); // awaited by the loader, or dropped when another input fails first
  return kernel;
}

/** The secure-boot layout: the kernel, initramfs and command line inside one UKI, systemd-boot beside it. */
async function openUki(
  base: Pick<Opened, "input" | "image" | "tree">,
  files: readonly FsEntry[],
  path: string,
  pool: VerifyPool,
  counter: Counter,
): Promise<Opened> {
  const src = await bootSource(base, path);
  const uki = await readUki(src);
  const asset = await peAsset(src, uki.header);
  const sdboot = find(files, /^systemd-boot[^/]*\.efi$/);
  const sdbootSrc = sdboot === undefined ? undefined : await bootSource(base, sdboot.path);
  const bootloader = sdbootSrc === undefined ? undefined : await peAsset(sdbootSrc, await readPeHeader(sdbootSrc));
  counter.read(uki.linux.size + (bootloader?.size ?? 0));
  const cmdline = uki.text.get(".cmdline");
  const kernel = kernelFact(pool, uki.linux, {
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
  return { ...base, kernel, boot, ...(uki.initrd ? { initramfs: uki.initrd } : {}) };
}

export async function openArtifact(
  input: ArtifactInput,
  platform: Platform,
  pool: VerifyPool,
  counter: Counter,
): Promise<Opened> {
  counter.at(input.file);
  // Layer digests are hashed on the pool: the tar is listed from its headers meanwhile.
  const image = await openImageArchive(input.file, platform, (blob, file, offset) =>
    pool.sha256(file, offset, blob.size),
  );
  const tree = await flattenImage(image);
  const base = { input, image, tree };
  const files = bootFiles(tree);
  const efi = find(files, /^vmlinuz\.efi$/);
  if (efi !== undefined) return openUki(base, files, efi.path, pool, counter);
  const initrd = files.find((e) => /^\/usr\/install\/[^/]+\/initramfs\.xz$/.test(e.path));
  const initramfs = initrd === undefined ? undefined : await bootSource(base, initrd.path, MAX_INITRAMFS);
  const withInitramfs = { ...base, ...(initramfs ? { initramfs } : {}) };
  const vmlinuz = find(files, /^vmlinuz[^/]*$/);
  if (vmlinuz === undefined) return withInitramfs;
  const src = await bootSource(base, vmlinuz.path);
  counter.read(src.size);
  // A classic installer's command line is written at install time: Talos' defaults for its release.
  const version = image.talosVersion;
  const kernel = kernelFact(
    pool,
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
    ...(initramfs ? { boot: { layout: "grub", assetsSize: src.size + initramfs.size } } : {}),
  };
}
