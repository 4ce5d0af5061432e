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

/**
 * Calls `visit` with the content of each requested regular file, reading every layer at most once (in layer
 * order, then tar order): the way to read many files of one image. Hard links are read from their target.
 */
export async function forEachImageFile(
  image: Image,
  tree: FsTree,
  paths: Iterable<string>,
  maxSize: number,
  visit: (path: string, bytes: Uint8Array) => Promise<void>,
): Promise<void> {
  const wanted = new Map<number, Map<string, string[]>>(); // layer -> stored path -> requested paths
  for (const path of paths) {
    let entry = tree.get(path);
    if (entry?.type === "hardlink" && entry.linkTarget !== undefined) entry = tree.get(entry.linkTarget);
    if (entry === undefined || entry.type !== "file") throw new Error(`${image.file}: ${path} is not a regular file`);
    if (entry.size > maxSize) throw new LimitError(image.file, 0, path, maxSize, entry.size);
    const byPath = wanted.get(entry.layer) ?? new Map<string, string[]>();
    byPath.set(entry.path, [...(byPath.get(entry.path) ?? []), path]);
    wanted.set(entry.layer, byPath);
  }
  for (const [index, byPath] of [...wanted].sort(([a], [b]) => a - b)) {
    const layer = image.layers[index] as ImageLayer;
    // The last copy of a path in one layer's tar is the one that counts; a layer rarely repeats one.
    for await (const { entry, body } of readTar(layer.open(), `${image.file}!layer ${layer.index}`)) {
      const requested = entry.type === "file" ? byPath.get(entry.path) : undefined;
      if (requested === undefined) continue;
      const out = new Uint8Array(entry.size);
      let at = 0;
      for await (const part of body) {
        out.set(part, at);
        at += part.length;
      }
      for (const p of requested) await visit(p, out);
    }
  }
}
