import type { Image, ImageLayer } from "../formats/oci/archive.js";
import { LimitError } from "../io/errors.js";
import { BufferSource, type ByteSource } from "../io/source.js";
import { TarLayer } from "./tar-layer.js";
import { type FsTree, flatten } from "./tree.js";

/** A container image layer as a Layer of the file-system model, named by its digest. */
export function imageLayer(layer: ImageLayer, file: string): TarLayer {
  return new TarLayer({
    id: layer.digest,
    kind: "image-layer",
    description: `${file}!layer ${layer.index}`,
    open: () => layer.open(),
    verify: () => layer.verify(),
    ...(layer.compression === "none" ? { uncompressed: layer.blob } : {}),
  });
}

/**
 * The image's flattened file system. Lists every layer once (an uncompressed one from its headers, a compressed
 * one decoded to its end) and checks its digest and diff_id: files read from the tree afterwards come from
 * checked layers.
 */
export function flattenImage(image: Image): Promise<FsTree> {
  return flatten(image.layers.map((l) => imageLayer(l, image.file)));
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
  const slice = layer instanceof TarLayer ? layer.slice(ref.entry) : undefined;
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
