/**
 * The layers the loader reads, all in src/image's one Layer model: SquashFS images (src/image/squashfs-layer),
 * initramfs segments (src/image/initramfs-layer), and the flattened image file system, or an extension
 * image's rootfs/, as one layer here; plus reading their files whole, within bounds.
 */
import type { Entry, Layer, LayerContent, LayerKind } from "../src/image/layer.js";
import type { FsTree } from "../src/image/tree.js";
import { FormatError, LimitError } from "../src/io/errors.js";
import type { Counter } from "./progress.js";

/** Bounds for what is read whole: one file of a layer. */
export const MAX_FILE = 1 << 30;

/** A stream whose length is known in advance, into one buffer of that size (no second copy to join parts). */
export async function collect(body: AsyncIterable<Uint8Array>, size: number, limit: number, what: string) {
  if (size > limit) throw new LimitError(what, 0, "file", limit, size);
  const out = new Uint8Array(size);
  let at = 0;
  for await (const part of body) {
    if (at + part.length > size) throw new FormatError(what, at, "file body", `${size} bytes`, "more");
    out.set(part, at);
    at += part.length;
  }
  if (at !== size) throw new FormatError(what, at, "file body", `${size} bytes`, `${at}`);
  return out;
}

async function* replay(chunks: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* chunks;
}

async function* counted(body: AsyncIterable<Uint8Array>, counter: Counter): AsyncGenerator<Uint8Array> {
  for await (const part of body) {
    counter.read(part.length);
    yield part;
  }
}

/**
 * The flattened tree below `prefix` (all of it for ""), the prefix dropped, as a layer: its entries in the
 * tree's order, its files read from the image layers that hold them, each image layer once, bottom to top.
 * What it reads counts on `counter`: the image's layers are not read through a counting source.
 */
export function treeLayer(tree: FsTree, prefix: string, kind: LayerKind, description: string, counter: Counter): Layer {
  return {
    id: prefix || "/",
    kind,
    description,
    async *entries() {
      for (const e of tree.walk(prefix || "/")) yield prefix ? { ...e, path: e.path.slice(prefix.length) } : e;
    },
    async *contents(wanted: readonly Entry[]): AsyncGenerator<LayerContent> {
      const byLayer = new Map<number, Map<Entry, Entry[]>>();
      for (const e of wanted) {
        const ref = tree.contentRef(prefix + e.path);
        const held = byLayer.get(ref.layer) ?? new Map<Entry, Entry[]>();
        held.set(ref.entry, [...(held.get(ref.entry) ?? []), e]);
        byLayer.set(ref.layer, held);
      }
      for (const [index, held] of [...byLayer].sort(([a], [b]) => a - b)) {
        for await (const { entry, body } of (tree.layers[index] as Layer).contents([...held.keys()])) {
          const paths = held.get(entry) as Entry[];
          if (paths.length === 1) {
            yield { entry: paths[0] as Entry, body: counted(body, counter) };
            continue;
          }
          // Hard links share one body, and a body streams once: it is held for them.
          const chunks: Uint8Array[] = [];
          for await (const part of body) chunks.push(part);
          for (const e of paths) yield { entry: e, body: counted(replay(chunks), counter) };
        }
      }
    },
  };
}
