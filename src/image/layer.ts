/**
 * One file-system model for every kind of layer: container image layers, initramfs segments, SquashFS images
 * and extension overlays. A layer is a stream of entries, read in one pass, plus a way to get the content of
 * some of those entries back later; `flatten` (./tree.ts) stacks layers into one tree.
 */

export type EntryType = "file" | "dir" | "symlink" | "hardlink" | "char" | "block" | "fifo" | "socket";

export type LayerKind = "image-layer" | "initramfs-segment" | "squashfs" | "extension";

export interface LayerEntry {
  /** Absolute and clean: `/usr/lib/x.so`; `/` for the layer's root. */
  readonly path: string;
  readonly type: EntryType;
  /** Permission bits with setuid, setgid and sticky (07777); the type is in `type`. */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Content bytes of a regular file; 0 for other types. */
  readonly size: number;
  readonly mtime: number;
  /** A symlink's target as written, or the absolute path a hard link names. */
  readonly linkTarget?: string;
  /** Device number of a char or block device. */
  readonly rdev?: { readonly major: number; readonly minor: number };
  /** Extended attributes, values as bytes (security.capability is binary). */
  readonly xattrs: ReadonlyMap<string, Uint8Array>;
  /**
   * Where the layer finds this entry again (a tar member's header offset, a SquashFS inode reference, a cpio
   * header offset): only the layer that produced the entry interprets it.
   */
  readonly at: number;
}

export interface LayerContent {
  readonly entry: LayerEntry;
  /** Read it before taking the next content; what is left unread is skipped. */
  readonly body: AsyncIterable<Uint8Array>;
}

export interface Layer {
  /** Short, stable name for listings: a digest, a file name. */
  readonly id: string;
  readonly kind: LayerKind;
  /** Where the layer comes from, e.g. `installer.tar!layer 2`; errors about its entries name it. */
  readonly description: string;
  /** Every entry, in the layer's own order, contents not read. Each call reads the layer again. */
  entries(): AsyncIterable<LayerEntry>;
  /**
   * The content of regular files that entries() produced, in the layer's order (not `wanted`'s), each once.
   * The cost is the layer's: a compressed tar is decoded from its start up to the last wanted member, an
   * uncompressed one is read in place at each member's offset.
   */
  contents(wanted: readonly LayerEntry[]): AsyncIterable<LayerContent>;
}
