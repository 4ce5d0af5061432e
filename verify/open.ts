/** Opening one input: its image archive, its flattened file system, and the kernel image it carries, if any. */
import { createHash } from "node:crypto";
import { readKernelImage } from "../src/formats/kernel/index.js";
import { type Image, openImageArchive, type Platform } from "../src/formats/oci/archive.js";
import type { Certificate } from "../src/formats/x509/index.js";
import { flattenImage, readImageFile } from "../src/image/image-layers.js";
import type { FsTree } from "../src/image/tree.js";
import { BufferSource } from "../src/io/source.js";
import { chainPath } from "../src/report/finding.js";
import { MAX_FILE } from "./layers.js";
import { certFact, type KernelFact, type Role } from "./model.js";
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
}

const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

export async function openArtifact(input: ArtifactInput, platform: Platform, counter: Counter): Promise<Opened> {
  counter.at(input.file);
  const image = await openImageArchive(input.file, platform);
  const tree = await flattenImage(image);
  const vmlinuz = [...tree.walk()].find(
    (e) => e.type === "file" && /^\/(usr\/install\/[^/]+|boot)\/vmlinuz[^/]*$/.test(e.path),
  );
  if (vmlinuz === undefined) return { input, image, tree };
  const bytes = await readImageFile(image, tree, vmlinuz.path, MAX_FILE);
  counter.read(bytes.length);
  const location = chainPath(input.file, vmlinuz.path);
  const k = await readKernelImage(new BufferSource(location, bytes));
  return {
    input,
    image,
    tree,
    kernel: { location, release: k.release, certs: k.certificates.map(certFact), digest: sha256(bytes) },
    certificates: k.certificates,
  };
}
