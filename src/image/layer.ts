/**
 * One file-system model for every kind of layer: container image layers, initramfs segments, SquashFS images
 * and extension overlays. A layer is a stream of entries, read in one pass, plus a way to get the content of
 * some of those entries back later; `flatten` (./tree.ts) stacks layers into one tree.
 */
import type { StoredFile } from "../formats/squashfs/data.js";
import type { Entry } from "../io/entry.js";

export type { Entry, EntryType } from "../io/entry.js";

export type LayerKind = "image-layer" | "initramfs-segment" | "squashfs" | "extension";

export interface LayerContent {
  readonly entry: Entry;
  /** Read it before taking the next content; what is left unread is skipped. */
  readonly body: AsyncIterable<Uint8Array>;
  /** A SquashFS file's blocks as stored, to decode on another thread instead of reading `body`. */
  readonly stored?: () => Promise<StoredFile>;
}

export interface Layer {
  /** Short, stable name for listings: a digest, a file name. */
  readonly id: string;
  readonly kind: LayerKind;
  /** Where the layer comes from, e.g. `installer.tar!layer 2`; errors about its entries name it. */
  readonly description: string;
  /** Every entry, in the layer's own order, contents not read. Each call reads the layer again. */
  entries(): AsyncIterable<Entry>;
  /**
   * The content of regular files that entries() produced, in the layer's order (not `wanted`'s), each once.
   * The cost is the layer's: a compressed tar is decoded from its start up to the last wanted member, an
   * uncompressed one is read in place at each member's offset.
   */
  contents(wanted: readonly Entry[]): AsyncIterable<LayerContent>;
}
