import { LimitError } from "../errors.js";
import type { Image, ImageLayer } from "../formats/oci/archive.js";
import { readTar } from "../formats/tar/reader.js";
import { type FsTree, flatten, type Layer } from "./tree.js";

/** A container image layer as a Layer of the file-system model: its tar's entries, bodies skipped. */
export function imageLayer(layer: ImageLayer, file: string): Layer {
  return {
    id: `${layer.index}:${layer.digest.slice(0, 19)}`,
    async *entries() {
      for await (const { entry } of readTar(layer.open(), `${file}!layer ${layer.index}`)) yield entry;
    },
  };
}

/** The image's flattened file system. Reads every layer once, metadata only. */
export function flattenImage(image: Image): Promise<FsTree> {
  return flatten(image.layers.map((l) => imageLayer(l, image.file)));
}

/**
 * The content of one regular file of the flattened image, read from the layer that provides it (following a
 * hard link to its target). The layer is streamed up to that member; at most `maxSize` bytes are held.
 */
export async function readImageFile(image: Image, tree: FsTree, path: string, maxSize: number): Promise<Uint8Array> {
  let entry = tree.get(path);
  if (entry?.type === "hardlink" && entry.linkTarget !== undefined) entry = tree.get(entry.linkTarget);
  if (entry === undefined || entry.type !== "file") throw new Error(`${image.file}: ${path} is not a regular file`);
  if (entry.size > maxSize) throw new LimitError(image.file, 0, path, maxSize, entry.size);
  const layer = image.layers[entry.layer] as ImageLayer;
  for await (const { entry: e, body } of readTar(layer.open(), `${image.file}!layer ${layer.index}`)) {
    if (e.path !== entry.path || e.type !== "file") continue;
    const out = new Uint8Array(e.size);
    let at = 0;
    for await (const part of body) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }
  throw new Error(`${image.file}: ${path} not found in layer ${layer.index}`);
}
