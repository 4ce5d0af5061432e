/**
 * One entry of a file system, whatever carries it: an image layer's tar member, a cpio entry, a SquashFS inode,
 * a file the builder writes. The image model stacks these, the SquashFS writer writes them, checks read them.
 */

export type EntryType = "file" | "dir" | "symlink" | "hardlink" | "char" | "block" | "fifo" | "socket";

export interface Entry {
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
