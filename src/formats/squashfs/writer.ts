import { randomBytes } from "node:crypto";
import { type FileHandle, open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Entry } from "../../io/entry.js";
import { sourceDateEpoch } from "../../io/source-date-epoch.js";
import { encodeListing, type ListedChild } from "./directory.js";
import { type BlockEncoder, blockEncoder, type CompressionOptions, compressorOptionsBlock } from "./encode.js";
import { EncodePool } from "./encode-pool.js";
import { encodeExportEntries } from "./export.js";
import {
  type DirIndexEntry,
  Flag,
  INVALID_XATTR,
  MAX_BLOCK_SIZE,
  MIN_BLOCK_SIZE,
  SUPERBLOCK_SIZE,
  VERSION_MAJOR,
  VERSION_MINOR,
  type XattrId,
} from "./format.js";
import { encodeFragmentEntries } from "./fragment.js";
import { encodeIdEntries } from "./id.js";
import { encodeDirInode, encodeInode, type InodeCommon } from "./inode.js";
import { encodeLookupTable } from "./lookup-table.js";
import { MetadataWriter } from "./metadata.js";
import { encodeCompressorOptions, encodeSuperblock } from "./superblock.js";
import { DataWriter, type FileData, type WriteAt } from "./write-data.js";
import {
  buildTree,
  inodesInOrder,
  numberInodes,
  type WriteInode,
  WriteInputError,
  type WriteNode,
} from "./write-tree.js";
import { encodeXattrIds, encodeXattrPairs, encodeXattrTableHeader } from "./xattr.js";

/** What the writer reads: entries in the image model's shape, and the bytes of each regular file. */
export interface SquashfsSource {
  /** Names the input in errors. */
  readonly name: string;
  entries(): Iterable<Entry> | AsyncIterable<Entry>;
  /** A regular file's bytes; it must yield exactly `entry.size` of them. */
  open(entry: Entry): Iterable<Uint8Array> | AsyncIterable<Uint8Array>;
}

export interface SquashfsWriteOptions extends CompressionOptions {
  /** A power of two from 4 KiB to 1 MiB; 128 KiB by default, as mksquashfs. */
  readonly blockSize?: number;
  /** Every entry owned by root (mksquashfs -all-root, as Talos' imager builds extension layers). */
  readonly allRoot?: boolean;
  /**
   * One modification time for every entry and the superblock. Defaults to SOURCE_DATE_EPOCH when that is set;
   * otherwise entries keep their own and the superblock takes the newest.
   */
  readonly mtime?: number;
  /** Threads compressing data blocks (mksquashfs -processors); the bytes written do not depend on it. */
  readonly threads?: number;
}

export interface SquashfsWritten {
  readonly path: string;
  /** bytes_used: the image without its padding to 4 KiB. */
  readonly bytesUsed: number;
  readonly inodes: number;
  readonly fragments: number;
}

/** The image is padded to a multiple of 4 KiB, as mksquashfs pads it for loop devices. */
const PAD = 4096;

/** Distinct values in first-seen order: the id table (uid/gid) and the xattr id table. */
class Interned<K> {
  readonly values: K[] = [];
  private readonly index = new Map<string, number>();
  get(key: string, make: () => K): number {
    let i = this.index.get(key);
    if (i === undefined) {
      i = this.values.length;
      this.values.push(make());
      this.index.set(key, i);
    }
    return i;
  }
}

/** What the data area left: where each file went, the fragments, and where the tables start. */
interface Data {
  readonly files: ReadonlyMap<WriteInode, FileData>;
  readonly fragments: DataWriter["fragments"];
  readonly end: number;
}

/** The inode and directory tables, and the ids and xattrs their inodes refer to. */
interface InodeTables {
  readonly inodes: MetadataWriter;
  readonly dirs: MetadataWriter;
  readonly ids: readonly number[];
  readonly xattrIds: readonly XattrId[];
  readonly kv: MetadataWriter;
  readonly refs: ReadonlyMap<WriteInode, number>;
  readonly rootRef: number;
  readonly mkfsTime: number;
}

/** Where each table after the data went; an absent one is undefined. */
interface TableStarts {
  readonly inodeTableStart: number;
  readonly directoryTableStart: number;
  readonly fragmentTableStart: number | undefined;
  readonly exportTableStart: number;
  readonly idTableStart: number;
  readonly xattrIdTableStart: number | undefined;
}

function checkBlockSize(blockSize: number): void {
  if (!Number.isInteger(Math.log2(blockSize)) || blockSize < MIN_BLOCK_SIZE || blockSize > MAX_BLOCK_SIZE) {
    throw new RangeError(`block size must be a power of two from 4 KiB to 1 MiB, not ${blockSize}`);
  }
}

/** File contents from `start`, in inode order so a directory's files lie together. */
async function writeData(
  source: SquashfsSource,
  inodes: readonly WriteInode[],
  writeAt: WriteAt,
  opts: SquashfsWriteOptions,
  blockSize: number,
  start: number,
): Promise<Data> {
  const pool = new EncodePool(opts, opts.threads);
  const pending = new Map<WriteInode, Promise<FileData>>();
  const data = new DataWriter(writeAt, pool, blockSize, start);
  try {
    for (const inode of inodes) {
      const e = inode.entry;
      if (e.type === "file") pending.set(inode, (await data.file(source.name, e.path, e.size, source.open(e))).data);
    }
    await data.finish();
  } finally {
    await pool.close();
  }
  const files = new Map<WriteInode, FileData>();
  for (const [inode, p] of pending) files.set(inode, await p);
  return { files, fragments: data.fragments, end: data.position };
}

/**
 * Appends a listing's runs to the directory table, with its index: the first run to start in each new
 * metadata block, so the kernel's lookup (and ours) skips to the block a name is in instead of scanning the
 * listing from its start.
 */
function appendListing(dirTable: MetadataWriter, listed: readonly ListedChild[]) {
  const at = dirTable.position;
  const index: DirIndexEntry[] = [];
  let length = 0;
  for (const run of encodeListing(listed, at.offset)) {
    const here = dirTable.position;
    if (here.block !== (index[index.length - 1]?.startBlock ?? at.block)) {
      index.push({ index: length, startBlock: here.block, name: run.firstName });
    }
    dirTable.append(run.bytes);
    length += run.bytes.length;
  }
  return { listing: { block: at.block, offset: at.offset, length }, index };
}

/** The inode and directory tables, children before their directory, as mksquashfs writes them. */
function inodeTables(
  source: SquashfsSource,
  root: WriteNode,
  count: number,
  files: ReadonlyMap<WriteInode, FileData>,
  encode: BlockEncoder,
  opts: SquashfsWriteOptions,
  fixedTime: number | undefined,
): InodeTables {
  const inodeTable = new MetadataWriter(encode);
  const dirTable = new MetadataWriter(encode);
  const ids = new Interned<number>();
  const xattrIds = new Interned<XattrId>();
  const kv = new MetadataWriter(encode);
  const refs = new Map<WriteInode, number>();
  let mkfsTime = fixedTime ?? 0;
  const common = (inode: WriteInode, nlink: number): InodeCommon => {
    const e = inode.entry;
    const uid = opts.allRoot ? 0 : e.uid;
    const gid = opts.allRoot ? 0 : e.gid;
    for (const [what, v] of [
      ["uid", uid],
      ["gid", gid],
      ["mtime", e.mtime],
    ] as const) {
      if (!Number.isInteger(v) || v < 0 || v > 0xffff_ffff) {
        throw new WriteInputError(source.name, e.path, `${what} ${v} does not fit 32 bits`);
      }
    }
    let xattr = INVALID_XATTR;
    if (e.xattrs.size > 0) {
      const x = encodeXattrPairs(source.name, e.path, e.xattrs);
      xattr = xattrIds.get(x.key, () => ({ ref: kv.append(x.bytes), ...x.id }));
    }
    const mtime = fixedTime ?? e.mtime;
    if (fixedTime === undefined) mkfsTime = Math.max(mkfsTime, mtime);
    return {
      type: e.type,
      mode: e.mode,
      uidIndex: ids.get(String(uid), () => uid),
      gidIndex: ids.get(String(gid), () => gid),
      mtime,
      number: inode.number,
      nlink,
      xattr,
    };
  };
  const emitDir = (dir: WriteNode, parent: number): number => {
    const listed: ListedChild[] = [];
    let subdirs = 0;
    for (const c of dir.children ?? []) {
      let ref = refs.get(c.inode);
      if (c.children !== undefined) {
        ref = emitDir(c, dir.inode.number);
        subdirs++;
      } else if (ref === undefined) {
        const e = c.inode.entry;
        ref = inodeTable.append(
          encodeInode(common(c.inode, c.inode.nlink), {
            data: files.get(c.inode),
            size: e.size,
            target: e.linkTarget === undefined ? undefined : Buffer.from(e.linkTarget),
            rdev: e.rdev,
          }),
        );
        refs.set(c.inode, ref);
      }
      listed.push({ name: c.name, ref, number: c.inode.number, type: c.inode.entry.type });
    }
    const { listing, index } = appendListing(dirTable, listed);
    const ref = inodeTable.append(encodeDirInode(common(dir.inode, 2 + subdirs), listing, parent, index));
    refs.set(dir.inode, ref);
    return ref;
  };
  const rootRef = emitDir(root, count + 1);
  if (ids.values.length > 0xffff) {
    throw new WriteInputError(source.name, "/", `${ids.values.length} distinct owners, over SquashFS's 65535`);
  }
  return {
    inodes: inodeTable,
    dirs: dirTable,
    ids: ids.values,
    xattrIds: xattrIds.values,
    kv,
    refs,
    rootRef,
    mkfsTime,
  };
}

/**
 * Every table after the data, from `start`, in mksquashfs's order: inodes, directories, fragments, export,
 * ids, then the xattr key/values and ids. Each lookup table's blocks come before its index.
 */
function layoutTables(
  t: InodeTables,
  inodes: readonly WriteInode[],
  fragments: Data["fragments"],
  encode: BlockEncoder,
  start: number,
): { parts: Uint8Array[]; starts: TableStarts; end: number } {
  const parts: Uint8Array[] = [];
  let pos = start;
  const put = (...bytes: Uint8Array[]) => {
    for (const b of bytes) {
      parts.push(b);
      pos += b.length;
    }
  };
  /** A lookup table's blocks, then its index (after `header`, where it has one); returns where that starts. */
  const lookup = (entries: Uint8Array, header?: Uint8Array): number => {
    const table = encodeLookupTable(encode, entries, pos);
    put(...table.blocks);
    const at = pos;
    if (header !== undefined) put(header);
    put(table.index);
    return at;
  };
  const inodeTableStart = pos;
  put(...t.inodes.finish());
  const directoryTableStart = pos;
  put(...t.dirs.finish());
  const fragmentTableStart = fragments.length > 0 ? lookup(encodeFragmentEntries(fragments)) : undefined;
  const exportTableStart = lookup(encodeExportEntries(inodes.map((inode) => t.refs.get(inode) as number)));
  const idTableStart = lookup(encodeIdEntries(t.ids));
  let xattrIdTableStart: number | undefined;
  if (t.xattrIds.length > 0) {
    const kvStart = pos;
    put(...t.kv.finish());
    const header = encodeXattrTableHeader({ kvStart, count: t.xattrIds.length });
    xattrIdTableStart = lookup(encodeXattrIds(t.xattrIds), header);
  }
  const starts = {
    inodeTableStart,
    directoryTableStart,
    fragmentTableStart,
    exportTableStart,
    idTableStart,
    xattrIdTableStart,
  };
  return { parts, starts, end: pos };
}

/** Writes the image into a temporary file beside `dest` and renames it there once `write` has finished. */
async function writeAtomically<T>(dest: string, write: (fh: FileHandle) => Promise<T>): Promise<T> {
  const tmp = join(dirname(dest), `.${basename(dest)}.${randomBytes(6).toString("hex")}.tmp`);
  const fh = await open(tmp, "wx");
  try {
    const result = await write(fh);
    await fh.sync();
    await fh.close();
    await rename(tmp, dest);
    return result;
  } catch (err) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/** Ends the image at `bytesUsed`, padded with zeros to the next 4 KiB. */
async function pad(fh: FileHandle, bytesUsed: number): Promise<void> {
  await fh.truncate(bytesUsed); // drops what a duplicate file left past the tables
  await fh.truncate(Math.ceil(bytesUsed / PAD) * PAD);
}

/**
 * Writes a SquashFS 4.0 image of `source` to `dest`, atomically (a temporary file beside it, renamed when
 * complete). The same entries, contents and options give the same bytes: names are sorted, inode numbers,
 * ids and xattr ids are given in one fixed order, and nothing of the writing machine (time, owner, order of
 * the directory on disk) enters the image unless the entries carry it.
 */
export async function writeSquashfs(
  source: SquashfsSource,
  dest: string,
  opts: SquashfsWriteOptions,
): Promise<SquashfsWritten> {
  const blockSize = opts.blockSize ?? 128 << 10;
  checkBlockSize(blockSize);
  const fixedTime = opts.mtime ?? sourceDateEpoch();
  const encode = await blockEncoder(opts);
  const options = compressorOptionsBlock(opts, blockSize);

  const list: Entry[] = [];
  for await (const e of source.entries()) list.push(e);
  const root = buildTree(source.name, list, fixedTime ?? 0);
  const count = numberInodes(root);
  const inodes = inodesInOrder(root, count);

  return writeAtomically(dest, async (fh) => {
    const writeAt = async (b: Uint8Array, pos: number) => {
      await fh.write(b, 0, b.length, pos);
    };
    let dataStart = SUPERBLOCK_SIZE;
    if (options) {
      const block = encodeCompressorOptions(options);
      await writeAt(block, dataStart);
      dataStart += block.length;
    }
    const data = await writeData(source, inodes, writeAt, opts, blockSize, dataStart);
    const tables = inodeTables(source, root, count, data.files, encode, opts, fixedTime);
    const { parts, starts, end: bytesUsed } = layoutTables(tables, inodes, data.fragments, encode, data.end);
    await writeAt(Buffer.concat(parts), data.end);
    const sb = encodeSuperblock({
      inodeCount: count,
      mkfsTime: tables.mkfsTime,
      blockSize,
      fragmentCount: data.fragments.length,
      compressor: opts.compressor,
      blockLog: Math.log2(blockSize),
      flags: Flag.DUPLICATES | Flag.EXPORTABLE | (options ? Flag.COMPRESSOR_OPTIONS : 0),
      idCount: tables.ids.length,
      versionMajor: VERSION_MAJOR,
      versionMinor: VERSION_MINOR,
      rootInode: tables.rootRef,
      bytesUsed,
      ...starts,
    });
    await writeAt(sb, 0);
    await pad(fh, bytesUsed);
    return { path: dest, bytesUsed, inodes: count, fragments: data.fragments.length };
  });
}
