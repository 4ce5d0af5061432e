import type { EntryType } from "../../io/entry.js";
import {
  BASIC_DIR_MAX_FILE_SIZE,
  BASIC_FILE_MAX,
  type BasicInodeType,
  DIR_ENTRY_SIZE,
  DIR_HEADER_SIZE,
  DIR_MAX_ENTRIES,
  DIR_MAX_INODE_DELTA,
  DIR_SIZE_EXTRA,
  type DirIndexEntry,
  EXTENDED_TYPE_OFFSET,
  encodeRdev,
  INVALID_XATTR,
  InodeType,
  METADATA_SIZE,
  MODE_MASK,
  refBlock,
  refOffset,
} from "./format.js";
import type { FileData } from "./write-data.js";

/** A little-endian record being put together. */
class Fields {
  private buf = Buffer.alloc(64);
  private at = 0;
  private room(n: number): number {
    if (this.at + n > this.buf.length) {
      const grown = Buffer.alloc(Math.max(this.buf.length * 2, this.at + n));
      this.buf.copy(grown, 0, 0, this.at);
      this.buf = grown;
    }
    const at = this.at;
    this.at += n;
    return at;
  }
  u16(v: number): this {
    const at = this.room(2);
    this.buf.writeUInt16LE(v, at);
    return this;
  }
  u32(v: number): this {
    const at = this.room(4);
    this.buf.writeUInt32LE(v >>> 0, at);
    return this;
  }
  u64(v: number): this {
    const at = this.room(8);
    this.buf.writeBigUInt64LE(BigInt(v), at);
    return this;
  }
  bytes(b: Uint8Array): this {
    const at = this.room(b.length);
    this.buf.set(b, at);
    return this;
  }
  done(): Uint8Array {
    return this.buf.subarray(0, this.at);
  }
}

export const BASIC_TYPE: Readonly<Record<EntryType, BasicInodeType>> = {
  dir: InodeType.DIR,
  file: InodeType.FILE,
  hardlink: InodeType.FILE,
  symlink: InodeType.SYMLINK,
  block: InodeType.BLOCK_DEVICE,
  char: InodeType.CHAR_DEVICE,
  fifo: InodeType.FIFO,
  socket: InodeType.SOCKET,
};

/** The header fields every inode has, uid and gid already turned into id-table indexes. */
export interface InodeCommon {
  readonly type: EntryType;
  readonly mode: number;
  readonly uidIndex: number;
  readonly gidIndex: number;
  readonly mtime: number;
  readonly number: number;
  readonly nlink: number;
  /** Index into the xattr id table, or INVALID_XATTR. */
  readonly xattr: number;
}

function header(c: InodeCommon, extended: boolean): Fields {
  const t = BASIC_TYPE[c.type] + (extended ? EXTENDED_TYPE_OFFSET : 0);
  return new Fields()
    .u16(t)
    .u16(c.mode & MODE_MASK)
    .u16(c.uidIndex)
    .u16(c.gidIndex)
    .u32(c.mtime)
    .u32(c.number);
}

/**
 * A non-directory inode, in the basic form where it fits and the extended one (mksquashfs's choice) when it
 * has xattrs, more than one link, sparse blocks or a size or position past 32 bits.
 */
export function encodeInode(
  c: InodeCommon,
  more: { data?: FileData; size?: number; target?: Uint8Array; rdev?: { major: number; minor: number } },
): Uint8Array {
  const hasXattr = c.xattr !== INVALID_XATTR;
  switch (c.type) {
    case "file":
    case "hardlink": {
      const d = more.data as FileData;
      const size = more.size ?? 0;
      const ext = hasXattr || c.nlink > 1 || d.sparse > 0 || size > BASIC_FILE_MAX || d.blocksStart > BASIC_FILE_MAX;
      const r = header(c, ext);
      if (ext) {
        r.u64(d.blocksStart).u64(size).u64(d.sparse).u32(c.nlink).u32(d.fragment).u32(d.fragmentOffset).u32(c.xattr);
      } else {
        r.u32(d.blocksStart).u32(d.fragment).u32(d.fragmentOffset).u32(size);
      }
      for (const s of d.blockSizes) r.u32(s);
      return r.done();
    }
    case "symlink": {
      const target = more.target as Uint8Array;
      const r = header(c, hasXattr).u32(c.nlink).u32(target.length).bytes(target);
      if (hasXattr) r.u32(c.xattr);
      return r.done();
    }
    case "block":
    case "char": {
      const dev = more.rdev ?? { major: 0, minor: 0 };
      const r = header(c, hasXattr).u32(c.nlink).u32(encodeRdev(dev.major, dev.minor));
      if (hasXattr) r.u32(c.xattr);
      return r.done();
    }
    case "fifo":
    case "socket": {
      const r = header(c, hasXattr).u32(c.nlink);
      if (hasXattr) r.u32(c.xattr);
      return r.done();
    }
    case "dir":
      throw new Error("directories are written by encodeDirInode");
  }
}

/** Where a directory's listing starts in the directory table, and its length. */
export interface Listing {
  readonly block: number;
  readonly offset: number;
  readonly length: number;
}

/** A directory inode; the extended form when it has xattrs or an index, or its listing is too long for a u16. */
export function encodeDirInode(
  c: InodeCommon,
  listing: Listing,
  parent: number,
  index: readonly DirIndexEntry[],
): Uint8Array {
  const fileSize = listing.length + DIR_SIZE_EXTRA;
  const ext = c.xattr !== INVALID_XATTR || fileSize > BASIC_DIR_MAX_FILE_SIZE || index.length > 0;
  const r = header(c, ext);
  if (ext) {
    r.u32(c.nlink).u32(fileSize).u32(listing.block).u32(parent).u16(index.length).u16(listing.offset).u32(c.xattr);
    for (const i of index)
      r.u32(i.index)
        .u32(i.startBlock)
        .u32(i.name.length - 1)
        .bytes(i.name);
  } else {
    r.u32(listing.block).u32(c.nlink).u16(fileSize).u16(listing.offset).u32(parent);
  }
  return r.done();
}

export interface ListedChild {
  readonly name: Uint8Array;
  /** Inode reference in the inode table. */
  readonly ref: number;
  readonly number: number;
  readonly type: EntryType;
}

/** One run of a listing: its header and entries, and the name it starts with (what an index entry names). */
export interface ListingRun {
  readonly bytes: Uint8Array;
  readonly firstName: Uint8Array;
}

/**
 * A directory's listing: runs of up to 256 entries whose inodes share one inode-table block and whose numbers
 * lie within an i16 of the run's first. As mksquashfs does, a run also ends where the next entry would start in
 * another metadata block, so that every block of the listing starts a run an index entry can point at.
 * `children` are sorted by name already; `offset` is where the listing starts in its first metadata block.
 */
export function encodeListing(children: readonly ListedChild[], offset: number): ListingRun[] {
  const runs: ListingRun[] = [];
  let at = offset;
  let i = 0;
  while (i < children.length) {
    const first = children[i] as ListedChild;
    const block = refBlock(first.ref);
    const metadataBlock = Math.floor(at / METADATA_SIZE);
    at += DIR_HEADER_SIZE;
    let n = 0;
    const out = new Fields();
    for (const c of children.slice(i)) {
      if (n === DIR_MAX_ENTRIES || refBlock(c.ref) !== block || Math.abs(c.number - first.number) > DIR_MAX_INODE_DELTA)
        break;
      if (n > 0 && Math.floor(at / METADATA_SIZE) !== metadataBlock) break;
      out
        .u16(refOffset(c.ref))
        .u16((c.number - first.number) & 0xffff)
        .u16(BASIC_TYPE[c.type])
        .u16(c.name.length - 1)
        .bytes(c.name);
      at += DIR_ENTRY_SIZE + c.name.length;
      n++;
    }
    const head = new Fields()
      .u32(n - 1)
      .u32(block)
      .u32(first.number)
      .done();
    runs.push({ bytes: Buffer.concat([head, out.done()]), firstName: first.name });
    i += n;
  }
  return runs;
}
