import { FormatError } from "../../io/errors.js";
import {
  type BasicInodeType,
  DIR_INDEX_SIZE,
  DIR_MAX_NAME,
  type DirIndexEntry,
  type DiskInode,
  decodeRdev,
  EXTENDED_TYPE_OFFSET,
  fileBlockCount,
  INODE_BODY_SIZE,
  INODE_HEADER_SIZE,
  INVALID_XATTR,
  type InodeHeader,
  type InodeTypeNumber,
  MAX_SYMLINK_TARGET,
  METADATA_SIZE,
  MODE_MASK,
  refOffset,
  type Superblock,
} from "./format.js";
import type { MetadataCache, MetadataCursor, Region } from "./metadata.js";

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
    const size = v.getUint32(8, true) + 1;
    if (size > DIR_MAX_NAME) throw c.error(`a directory index name of at most ${DIR_MAX_NAME} bytes`, `${size}`);
    out.push({ index: v.getUint32(0, true), startBlock: v.getUint32(4, true), name: (await c.bytes(size)).slice() });
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
  const type = h.getUint16(0, true);
  if (type < 1 || type > 14) throw c.error("an inode type from 1 to 14", `${type}`);
  const header: InodeHeader = {
    type: type as InodeTypeNumber,
    mode: h.getUint16(2, true),
    uidIndex: h.getUint16(4, true),
    gidIndex: h.getUint16(6, true),
    mtime: h.getUint32(8, true),
    inodeNumber: h.getUint32(12, true),
  };
  if (header.inodeNumber < 1 || header.inodeNumber > sb.inodeCount) {
    throw c.error(`an inode number from 1 to ${sb.inodeCount}`, `${header.inodeNumber}`);
  }
  const d = await c.view(INODE_BODY_SIZE[header.type]);
  const u32 = (o: number) => d.getUint32(o, true);
  switch (header.type) {
    case 1:
      return {
        ...header,
        type: 1,
        startBlock: u32(0),
        nlink: u32(4),
        fileSize: d.getUint16(8, true),
        offset: d.getUint16(10, true),
        parentInode: u32(12),
      };
    case 8: {
      const offset = d.getUint16(18, true);
      return {
        ...header,
        type: 8,
        nlink: u32(0),
        fileSize: u32(4),
        startBlock: u32(8),
        parentInode: u32(12),
        offset,
        xattr: u32(20),
        index: await dirIndex(c, d.getUint16(16, true)),
      };
    }
    case 2: {
      const fileSize = u32(12);
      const fragment = u32(4);
      return {
        ...header,
        type: 2,
        blocksStart: u32(0),
        fragment,
        fragmentOffset: u32(8),
        fileSize,
        blockSizes: await blockList(c, fileBlockCount(fileSize, sb.blockSize, fragment)),
      };
    }
    case 9: {
      const fileSize = u64(c, d, 8, "file size");
      const fragment = u32(28);
      return {
        ...header,
        type: 9,
        blocksStart: u64(c, d, 0, "blocks start"),
        fileSize,
        sparse: u64(c, d, 16, "sparse byte count"),
        nlink: u32(24),
        fragment,
        fragmentOffset: u32(32),
        xattr: u32(36),
        blockSizes: await blockList(c, fileBlockCount(fileSize, sb.blockSize, fragment)),
      };
    }
    case 3:
    case 10: {
      const size = u32(4);
      if (size > MAX_SYMLINK_TARGET)
        throw c.error(`a symlink target of at most ${MAX_SYMLINK_TARGET} bytes`, `${size}`);
      const target = (await c.bytes(size)).slice();
      if (header.type === 3) return { ...header, type: 3, nlink: u32(0), target };
      return { ...header, type: 10, nlink: u32(0), target, xattr: await c.u32() };
    }
    case 4:
    case 5:
      return { ...header, type: header.type, nlink: u32(0), rdev: u32(4) };
    case 11:
    case 12:
      return { ...header, type: header.type, nlink: u32(0), rdev: u32(4), xattr: u32(8) };
    case 6:
    case 7:
      return { ...header, type: header.type, nlink: u32(0) };
    case 13:
    case 14:
      return { ...header, type: header.type, nlink: u32(0), xattr: u32(4) };
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
  const common = {
    ref,
    type: KINDS[basic],
    mode: disk.mode & MODE_MASK,
    uid: id(disk.uidIndex, "uid"),
    gid: id(disk.gidIndex, "gid"),
    mtime: disk.mtime,
    number: disk.inodeNumber,
    ...xattr,
    disk,
  };
  switch (disk.type) {
    case 1:
    case 8:
      return { ...common, nlink: disk.nlink, size: disk.fileSize };
    case 2:
      return { ...common, nlink: 1, size: disk.fileSize };
    case 9:
      return { ...common, nlink: disk.nlink, size: disk.fileSize };
    case 3:
    case 10:
      return { ...common, nlink: disk.nlink, size: disk.target.length, symlinkTarget: utf8.decode(disk.target) };
    case 4:
    case 5:
    case 11:
    case 12: {
      const { major, minor } = decodeRdev(disk.rdev);
      return { ...common, nlink: disk.nlink, size: 0, rdevMajor: major, rdevMinor: minor };
    }
    default:
      return { ...common, nlink: disk.nlink, size: 0 };
  }
}
