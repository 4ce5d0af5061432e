import type { EntryType } from "../../io/entry.js";
import { FormatError } from "../../io/errors.js";
import {
  BASIC_DIR_MAX_FILE_SIZE,
  BASIC_FILE_MAX,
  type BasicInodeType,
  DIR_INDEX_SIZE,
  DIR_MAX_NAME,
  DIR_SIZE_EXTRA,
  type DirIndexEntry,
  type DiskInode,
  decodeRdev,
  EXTENDED_TYPE_OFFSET,
  encodeRdev,
  fileBlockCount,
  INODE_BODY_SIZE,
  INODE_HEADER_SIZE,
  INVALID_XATTR,
  type InodeHeader,
  InodeType,
  type InodeTypeNumber,
  MAX_SYMLINK_TARGET,
  METADATA_SIZE,
  MODE_MASK,
  refOffset,
} from "./format.js";
import type { MetadataCache, MetadataCursor, Region } from "./metadata.js";
import type { Superblock } from "./superblock.js";
import type { FileData } from "./write-data.js";

export type InodeKind = "dir" | "file" | "symlink" | "block" | "char" | "fifo" | "socket";

/** The kind of each basic inode type (an extended type is its basic type + 7). */
export const KINDS: Readonly<Record<BasicInodeType, InodeKind>> = {
  1: "dir",
  2: "file",
  3: "symlink",
  4: "block",
  5: "char",
  6: "fifo",
  7: "socket",
};

/** Field offsets of the header every inode starts with: u16 type, mode, uid, gid; u32 mtime, inode_number. */
const HEADER = { type: 0, mode: 2, uidIndex: 4, gidIndex: 6, mtime: 8, inodeNumber: 12 } as const;
/** Field offsets in each type's fixed part (INODE_BODY_SIZE bytes after the header); u32 unless marked. */
const DIR = { startBlock: 0, nlink: 4, fileSize: 8, offset: 10, parentInode: 12 } as const; // fileSize, offset u16
const EXT_DIR = {
  nlink: 0,
  fileSize: 4,
  startBlock: 8,
  parentInode: 12,
  indexCount: 16,
  offset: 18,
  xattr: 20,
} as const; // indexCount, offset u16
const FILE = { blocksStart: 0, fragment: 4, fragmentOffset: 8, fileSize: 12 } as const;
const EXT_FILE = {
  blocksStart: 0,
  fileSize: 8,
  sparse: 16,
  nlink: 24,
  fragment: 28,
  fragmentOffset: 32,
  xattr: 36,
} as const; // first three u64
const SYMLINK = { nlink: 0, targetSize: 4 } as const;
const DEVICE = { nlink: 0, rdev: 4, xattr: 8 } as const;
const IPC = { nlink: 0, xattr: 4 } as const;
/** An extended directory's index entry: u32 index, start_block, name_size − 1; then the name. */
const DIR_INDEX = { index: 0, startBlock: 4, nameSize: 8 } as const;

/** An inode with its ids resolved, as a program wants it; `disk` keeps every stored field. */
export interface Inode {
  /** Where the inode is (block << 16 | offset in the inode table): hard links share it. */
  readonly ref: number;
  readonly type: InodeKind;
  /** Permission bits (07777). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly mtime: number;
  readonly number: number;
  readonly nlink: number;
  /** Files: bytes; symlinks: target length; directories: the stored listing size (+3); others 0. */
  readonly size: number;
  readonly symlinkTarget?: string;
  readonly rdevMajor?: number;
  readonly rdevMinor?: number;
  /** Extended inodes with attributes: their entry in the xattr id table. */
  readonly xattrIndex?: number;
  readonly disk: DiskInode;
}

const inodeRegion = (sb: Superblock): Region => ({
  name: "inode table",
  start: sb.inodeTableStart,
  end: sb.directoryTableStart,
});

/** Block lists are read in chunks, so a forged block count fails at the table's end, not at allocation. */
const LIST_CHUNK = 1024;

async function blockList(c: MetadataCursor, n: number): Promise<number[]> {
  const out: number[] = [];
  while (out.length < n) {
    const k = Math.min(LIST_CHUNK, n - out.length);
    const v = await c.view(k * 4);
    for (let i = 0; i < k; i++) out.push(v.getUint32(i * 4, true));
  }
  return out;
}

async function dirIndex(c: MetadataCursor, count: number): Promise<DirIndexEntry[]> {
  const out: DirIndexEntry[] = [];
  for (let i = 0; i < count; i++) {
    const v = await c.view(DIR_INDEX_SIZE);
    const size = v.getUint32(DIR_INDEX.nameSize, true) + 1;
    if (size > DIR_MAX_NAME) throw c.error(`a directory index name of at most ${DIR_MAX_NAME} bytes`, `${size}`);
    const name = (await c.bytes(size)).slice();
    out.push({ index: v.getUint32(DIR_INDEX.index, true), startBlock: v.getUint32(DIR_INDEX.startBlock, true), name });
  }
  return out;
}

/** A u64 that must fit a JavaScript number (every size and position of an image that can exist). */
function u64(c: MetadataCursor, v: DataView, o: number, field: string): number {
  const n = v.getBigUint64(o, true);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw c.error(`a ${field} below 2^53`, `${n}`);
  return Number(n);
}

/** The inode at `ref`, every one of the 14 types, with its variable tail (block list, target, dir index). */
export async function readInode(cache: MetadataCache, sb: Superblock, ref: number): Promise<DiskInode> {
  const region = inodeRegion(sb);
  if (refOffset(ref) >= METADATA_SIZE || region.start + Math.floor(ref / 0x10000) >= region.end) {
    throw new FormatError(cache.file, region.start, "inode reference", "a block inside the inode table", `${ref}`);
  }
  const c = cache.cursor(region, ref, "inode");
  const h = await c.view(INODE_HEADER_SIZE);
  const stored = h.getUint16(HEADER.type, true);
  if (stored < 1 || stored > 14) throw c.error("an inode type from 1 to 14", `${stored}`);
  const type = stored as InodeTypeNumber;
  // Each inode below is a literal that begins with `type`: V8 gives an object that begins with a spread a
  // map of its own, and thousands of them cost megabytes of maps and slow every read of their fields.
  const header: Omit<InodeHeader, "type"> = {
    mode: h.getUint16(HEADER.mode, true),
    uidIndex: h.getUint16(HEADER.uidIndex, true),
    gidIndex: h.getUint16(HEADER.gidIndex, true),
    mtime: h.getUint32(HEADER.mtime, true),
    inodeNumber: h.getUint32(HEADER.inodeNumber, true),
  };
  if (header.inodeNumber < 1 || header.inodeNumber > sb.inodeCount) {
    throw c.error(`an inode number from 1 to ${sb.inodeCount}`, `${header.inodeNumber}`);
  }
  const d = await c.view(INODE_BODY_SIZE[type]);
  const u32 = (o: number) => d.getUint32(o, true);
  switch (type) {
    case 1:
      return {
        type: 1,
        ...header,
        startBlock: u32(DIR.startBlock),
        nlink: u32(DIR.nlink),
        fileSize: d.getUint16(DIR.fileSize, true),
        offset: d.getUint16(DIR.offset, true),
        parentInode: u32(DIR.parentInode),
      };
    case 8: {
      return {
        type: 8,
        ...header,
        nlink: u32(EXT_DIR.nlink),
        fileSize: u32(EXT_DIR.fileSize),
        startBlock: u32(EXT_DIR.startBlock),
        parentInode: u32(EXT_DIR.parentInode),
        offset: d.getUint16(EXT_DIR.offset, true),
        xattr: u32(EXT_DIR.xattr),
        index: await dirIndex(c, d.getUint16(EXT_DIR.indexCount, true)),
      };
    }
    case 2: {
      const fileSize = u32(FILE.fileSize);
      const fragment = u32(FILE.fragment);
      return {
        type: 2,
        ...header,
        blocksStart: u32(FILE.blocksStart),
        fragment,
        fragmentOffset: u32(FILE.fragmentOffset),
        fileSize,
        blockSizes: await blockList(c, fileBlockCount(fileSize, sb.blockSize, fragment)),
      };
    }
    case 9: {
      const fileSize = u64(c, d, EXT_FILE.fileSize, "file size");
      const fragment = u32(EXT_FILE.fragment);
      return {
        type: 9,
        ...header,
        blocksStart: u64(c, d, EXT_FILE.blocksStart, "blocks start"),
        fileSize,
        sparse: u64(c, d, EXT_FILE.sparse, "sparse byte count"),
        nlink: u32(EXT_FILE.nlink),
        fragment,
        fragmentOffset: u32(EXT_FILE.fragmentOffset),
        xattr: u32(EXT_FILE.xattr),
        blockSizes: await blockList(c, fileBlockCount(fileSize, sb.blockSize, fragment)),
      };
    }
    case 3:
    case 10: {
      const size = u32(SYMLINK.targetSize);
      if (size > MAX_SYMLINK_TARGET)
        throw c.error(`a symlink target of at most ${MAX_SYMLINK_TARGET} bytes`, `${size}`);
      const target = (await c.bytes(size)).slice();
      if (type === 3) return { type: 3, ...header, nlink: u32(SYMLINK.nlink), target };
      return { type: 10, ...header, nlink: u32(SYMLINK.nlink), target, xattr: await c.u32() };
    }
    case 4:
    case 5:
      return { type, ...header, nlink: u32(DEVICE.nlink), rdev: u32(DEVICE.rdev) };
    case 11:
    case 12:
      return {
        type,
        ...header,
        nlink: u32(DEVICE.nlink),
        rdev: u32(DEVICE.rdev),
        xattr: u32(DEVICE.xattr),
      };
    case 6:
    case 7:
      return { type, ...header, nlink: u32(IPC.nlink) };
    case 13:
    case 14:
      return { type, ...header, nlink: u32(IPC.nlink), xattr: u32(IPC.xattr) };
  }
}

const utf8 = new TextDecoder();

/** The program's view of a stored inode: kind, resolved uid/gid, permission bits, device numbers. */
export function toInode(disk: DiskInode, ref: number, ids: readonly number[], file: string, at: number): Inode {
  const id = (i: number, field: string): number => {
    const v = ids[i];
    if (v === undefined) throw new FormatError(file, at, `inode ${field} index`, `below ${ids.length}`, `${i}`);
    return v;
  };
  const basic = (disk.type > EXTENDED_TYPE_OFFSET ? disk.type - EXTENDED_TYPE_OFFSET : disk.type) as BasicInodeType;
  const xattr = "xattr" in disk && disk.xattr !== INVALID_XATTR ? { xattrIndex: disk.xattr } : {};
  // One literal, not a spread of shared fields first: see readInode.
  const inode = (nlink: number, size: number, more: Partial<Inode> = {}): Inode => ({
    ref,
    type: KINDS[basic],
    mode: disk.mode & MODE_MASK,
    uid: id(disk.uidIndex, "uid"),
    gid: id(disk.gidIndex, "gid"),
    mtime: disk.mtime,
    number: disk.inodeNumber,
    ...xattr,
    disk,
    nlink,
    size,
    ...more,
  });
  switch (disk.type) {
    case 1:
    case 8:
    case 9:
      return inode(disk.nlink, disk.fileSize);
    case 2:
      return inode(1, disk.fileSize);
    case 3:
    case 10:
      return inode(disk.nlink, disk.target.length, { symlinkTarget: utf8.decode(disk.target) });
    case 4:
    case 5:
    case 11:
    case 12: {
      const { major, minor } = decodeRdev(disk.rdev);
      return inode(disk.nlink, 0, { rdevMajor: major, rdevMinor: minor });
    }
    default:
      return inode(disk.nlink, 0);
  }
}

/** The basic inode type each kind of entry is stored as (a hard link is its target's file inode). */
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

/** An inode's bytes with its header filled in: `body` views the fixed part, `tail` bytes follow it. */
function record(c: InodeCommon, extended: boolean, tail: number): { bytes: Buffer; body: DataView; end: number } {
  const type = (BASIC_TYPE[c.type] + (extended ? EXTENDED_TYPE_OFFSET : 0)) as InodeTypeNumber;
  const end = INODE_HEADER_SIZE + INODE_BODY_SIZE[type];
  const bytes = Buffer.alloc(end + tail);
  const h = new DataView(bytes.buffer, bytes.byteOffset, INODE_HEADER_SIZE);
  h.setUint16(HEADER.type, type, true);
  h.setUint16(HEADER.mode, c.mode & MODE_MASK, true);
  h.setUint16(HEADER.uidIndex, c.uidIndex, true);
  h.setUint16(HEADER.gidIndex, c.gidIndex, true);
  h.setUint32(HEADER.mtime, c.mtime, true);
  h.setUint32(HEADER.inodeNumber, c.number, true);
  return { bytes, body: new DataView(bytes.buffer, bytes.byteOffset + INODE_HEADER_SIZE), end };
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
      const r = record(c, ext, d.blockSizes.length * 4);
      const u32 = (o: number, v: number) => r.body.setUint32(o, v, true);
      if (ext) {
        r.body.setBigUint64(EXT_FILE.blocksStart, BigInt(d.blocksStart), true);
        r.body.setBigUint64(EXT_FILE.fileSize, BigInt(size), true);
        r.body.setBigUint64(EXT_FILE.sparse, BigInt(d.sparse), true);
        u32(EXT_FILE.nlink, c.nlink);
        u32(EXT_FILE.fragment, d.fragment);
        u32(EXT_FILE.fragmentOffset, d.fragmentOffset);
        u32(EXT_FILE.xattr, c.xattr);
      } else {
        u32(FILE.blocksStart, d.blocksStart);
        u32(FILE.fragment, d.fragment);
        u32(FILE.fragmentOffset, d.fragmentOffset);
        u32(FILE.fileSize, size);
      }
      for (const [i, s] of d.blockSizes.entries()) r.bytes.writeUInt32LE(s, r.end + i * 4);
      return r.bytes;
    }
    case "symlink": {
      const target = more.target as Uint8Array;
      const r = record(c, hasXattr, target.length + (hasXattr ? 4 : 0));
      r.body.setUint32(SYMLINK.nlink, c.nlink, true);
      r.body.setUint32(SYMLINK.targetSize, target.length, true);
      r.bytes.set(target, r.end);
      // The extended form's xattr index follows the target.
      if (hasXattr) r.bytes.writeUInt32LE(c.xattr, r.end + target.length);
      return r.bytes;
    }
    case "block":
    case "char": {
      const dev = more.rdev ?? { major: 0, minor: 0 };
      const r = record(c, hasXattr, 0);
      r.body.setUint32(DEVICE.nlink, c.nlink, true);
      r.body.setUint32(DEVICE.rdev, encodeRdev(dev.major, dev.minor), true);
      if (hasXattr) r.body.setUint32(DEVICE.xattr, c.xattr, true);
      return r.bytes;
    }
    case "fifo":
    case "socket": {
      const r = record(c, hasXattr, 0);
      r.body.setUint32(IPC.nlink, c.nlink, true);
      if (hasXattr) r.body.setUint32(IPC.xattr, c.xattr, true);
      return r.bytes;
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
  const tail = index.reduce((n, i) => n + DIR_INDEX_SIZE + i.name.length, 0);
  const r = record(c, ext, tail);
  const u32 = (o: number, v: number) => r.body.setUint32(o, v, true);
  if (!ext) {
    u32(DIR.startBlock, listing.block);
    u32(DIR.nlink, c.nlink);
    r.body.setUint16(DIR.fileSize, fileSize, true);
    r.body.setUint16(DIR.offset, listing.offset, true);
    u32(DIR.parentInode, parent);
    return r.bytes;
  }
  u32(EXT_DIR.nlink, c.nlink);
  u32(EXT_DIR.fileSize, fileSize);
  u32(EXT_DIR.startBlock, listing.block);
  u32(EXT_DIR.parentInode, parent);
  r.body.setUint16(EXT_DIR.indexCount, index.length, true);
  r.body.setUint16(EXT_DIR.offset, listing.offset, true);
  u32(EXT_DIR.xattr, c.xattr);
  let at = r.end;
  for (const i of index) {
    r.bytes.writeUInt32LE(i.index, at + DIR_INDEX.index);
    r.bytes.writeUInt32LE(i.startBlock, at + DIR_INDEX.startBlock);
    r.bytes.writeUInt32LE(i.name.length - 1, at + DIR_INDEX.nameSize);
    r.bytes.set(i.name, at + DIR_INDEX_SIZE);
    at += DIR_INDEX_SIZE + i.name.length;
  }
  return r.bytes;
}
