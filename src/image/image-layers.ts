import { LimitError } from "../errors.js";
import type { Image, ImageLayer } from "../formats/oci/archive.js";
import type { TarEntry } from "../formats/tar/entry.js";
import { readTar } from "../formats/tar/reader.js";
import { BufferSource, type ByteSource, SliceSource, streamSource } from "../io/source.js";
import type { Layer, LayerContent, LayerEntry } from "./layer.js";
import { type FsTree, flatten } from "./tree.js";

const BLOCK = 512;

function layerEntry(e: TarEntry): LayerEntry {
  return {
    path: e.path,
    type: e.type,
    mode: e.mode,
    uid: e.uid,
    gid: e.gid,
    size: e.size,
    mtime: e.mtime,
    ...(e.linkTarget !== undefined ? { linkTarget: e.linkTarget } : {}),
    ...(e.type === "char" || e.type === "block" ? { rdev: { major: e.devmajor, minor: e.devminor } } : {}),
    xattrs: e.xattrs,
    at: e.headerOffset,
  };
}

/** A container image layer as a Layer of the file-system model; `at` is a member's header offset in the tar. */
export class ImageTarLayer implements Layer {
  readonly kind = "image-layer";
  readonly id: string;
  readonly description: string;

  constructor(
    readonly layer: ImageLayer,
    file: string,
  ) {
    this.id = layer.digest;
    this.description = `${file}!layer ${layer.index}`;
  }

  async *entries(): AsyncGenerator<LayerEntry> {
    for await (const { entry } of readTar(this.layer.open(), this.description)) yield layerEntry(entry);
  }

  /**
   * The file's bytes in place, when the layer is stored uncompressed (the digest was checked when its entries
   * were listed); undefined for a compressed layer, whose bytes only a decoder produces.
   */
  slice(entry: LayerEntry): ByteSource | undefined {
    if (this.layer.compression !== "none") return undefined;
    return new SliceSource(this.layer.blob, entry.at + BLOCK, entry.size, `${this.description}!${entry.path}`);
  }

  async *contents(wanted: readonly LayerEntry[]): AsyncGenerator<LayerContent> {
    const sorted = [...wanted].sort((a, b) => a.at - b.at);
    if (this.layer.compression === "none") {
      for (const entry of sorted) yield { entry, body: streamSource(this.slice(entry) as ByteSource) };
      return;
    }
    // Decoded from the start; stopping after the last wanted member skips the digest check, which the
    // listing pass made.
    const byOffset = new Map(sorted.map((e) => [e.at, e]));
    const last = sorted[sorted.length - 1]?.at ?? -1;
    for await (const { entry, body } of readTar(this.layer.open(), this.description)) {
      const w = byOffset.get(entry.headerOffset);
      if (w !== undefined) yield { entry: w, body };
      if (entry.headerOffset >= last) return;
    }
  }
}

/** The image's flattened file system. Reads every layer once, metadata only. */
export function flattenImage(image: Image): Promise<FsTree> {
  return flatten(image.layers.map((l) => new ImageTarLayer(l, image.file)));
}

/** A container image layer as a Layer of the file-system model. */
export function imageLayer(layer: ImageLayer, file: string): ImageTarLayer {
  return new ImageTarLayer(layer, file);
}

/** A body whose length the layer's entry gave (a tar member streams exactly its size). */
async function collect(body: AsyncIterable<Uint8Array>, size: number): Promise<Uint8Array> {
  const out = new Uint8Array(size);
  let at = 0;
  for await (const part of body) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function checkedSize(tree: FsTree, path: string, maxSize: number, file: string): number {
  const size = tree.contentRef(path).entry.size;
  if (size > maxSize) throw new LimitError(file, 0, path, maxSize, size);
  return size;
}

/**
 * The content of one regular file of the flattened image (a hard link reads its target), at most `maxSize`
 * bytes. A compressed layer is decoded up to that member; an uncompressed one is read in place.
 */
export async function readImageFile(image: Image, tree: FsTree, path: string, maxSize: number): Promise<Uint8Array> {
  return collect(tree.open(path), checkedSize(tree, path, maxSize, image.file));
}

/**
 * A regular file of the flattened image as random-access bytes: in place when its layer is stored
 * uncompressed, else read into memory (at most `maxSize` bytes).
 */
export async function imageFileSource(image: Image, tree: FsTree, path: string, maxSize: number): Promise<ByteSource> {
  const ref = tree.contentRef(path);
  const layer = tree.layers[ref.layer];
  const slice = layer instanceof ImageTarLayer ? layer.slice(ref.entry) : undefined;
  if (slice !== undefined) return slice;
  return new BufferSource(`${image.file}!${path}`, await readImageFile(image, tree, path, maxSize));
}

/**
 * Calls `visit` with the content of each requested regular file, reading every layer at most once: the way to
 * read many files of one image. Hard links are read from their target.
 */
export async function forEachImageFile(
  image: Image,
  tree: FsTree,
  paths: Iterable<string>,
  maxSize: number,
  visit: (path: string, bytes: Uint8Array) => Promise<void>,
): Promise<void> {
  const list = [...paths];
  for (const p of list) checkedSize(tree, p, maxSize, image.file);
  await tree.readFiles(list, async (same, body) => {
    const bytes = await collect(body, tree.contentRef(same[0] as string).entry.size);
    for (const p of same) await visit(p, bytes);
  });
}
