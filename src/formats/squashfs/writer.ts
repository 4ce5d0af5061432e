import { randomBytes } from "node:crypto";
import { open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Entry } from "../../io/entry.js";
import { sourceDateEpoch } from "../../io/source-date-epoch.js";
import { encodeListing, type ListedChild } from "./directory.js";
import {
  type BlockEncoder,
  blockEncoder,
  type CompressionOptions,
  compressorId,
  compressorOptionsBlock,
} from "./encode.js";
import { EncodePool } from "./encode-pool.js";
import {
  type DirIndexEntry,
  SUPERBLOCK_FIELD as F,
  Flag,
  INVALID_XATTR,
  MAGIC,
  MAX_BLOCK_SIZE,
  METADATA_UNCOMPRESSED,
  MIN_BLOCK_SIZE,
  NO_TABLE,
  SUPERBLOCK_SIZE,
  VERSION_MAJOR,
  VERSION_MINOR,
  XATTR_PREFIXES,
} from "./format.js";
import { encodeDirInode, encodeInode } from "./inode.js";
import { MetadataWriter } from "./metadata-writer.js";
import { DataWriter, type FileData } from "./write-data.js";
import {
  buildTree,
  inodesInOrder,
  numberInodes,
  type WriteInode,
  WriteInputError,
  type WriteNode,
} from "./write-tree.js";

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

const PAD = 4096;
const u16 = (v: number) => Buffer.from(new Uint16Array([v]).buffer);

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

/** Xattr pairs as SquashFS stores them: the prefix as a type id, the rest of the name, the value inline. */
function encodeXattrs(source: string, path: string, xattrs: ReadonlyMap<string, Uint8Array>) {
  const names = [...xattrs.keys()].sort();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (const full of names) {
    const type = XATTR_PREFIXES.findIndex((p) => full.startsWith(p) && full.length > p.length);
    if (type < 0)
      throw new WriteInputError(source, path, `xattr ${full}: SquashFS stores user., trusted. and security. only`);
    const name = Buffer.from(full.slice((XATTR_PREFIXES[type] as string).length));
    const value = xattrs.get(full) as Uint8Array;
    const h = Buffer.alloc(4);
    h.writeUInt16LE(type, 0);
    h.writeUInt16LE(name.length, 2);
    const v = Buffer.alloc(4);
    v.writeUInt32LE(value.length, 0);
    parts.push(h, name, v, value);
    size += Buffer.byteLength(full) + 1 + value.length;
  }
  const bytes = Buffer.concat(parts);
  return { key: bytes.toString("base64"), bytes, count: names.length, size };
}

function u64s(values: readonly number[]): Buffer {
  const b = Buffer.alloc(values.length * 8);
  for (const [i, v] of values.entries()) b.writeBigUInt64LE(BigInt(v), i * 8);
  return b;
}

/**
 * A lookup table written at `start`: its entries in metadata blocks, and the u64 positions of those blocks
 * (the index, which the superblock points at; the xattr id table puts a header before it).
 */
function lookupTable(
  encode: BlockEncoder,
  entries: Uint8Array,
  start: number,
): { blocks: Uint8Array[]; index: Buffer } {
  const m = new MetadataWriter(encode);
  m.append(entries);
  const blocks = m.finish();
  return { blocks, index: u64s(m.blockStarts.map((b) => start + b)) };
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
  if (!Number.isInteger(Math.log2(blockSize)) || blockSize < MIN_BLOCK_SIZE || blockSize > MAX_BLOCK_SIZE) {
    throw new RangeError(`block size must be a power of two from 4 KiB to 1 MiB, not ${blockSize}`);
  }
  const fixedTime = opts.mtime ?? sourceDateEpoch();
  const encode = await blockEncoder(opts);
  const options = compressorOptionsBlock(opts, blockSize);

  const list: Entry[] = [];
  for await (const e of source.entries()) list.push(e);
  const root = buildTree(source.name, list, fixedTime ?? 0);
  const count = numberInodes(root);
  const inodes = inodesInOrder(root, count);

  const tmp = join(dirname(dest), `.${basename(dest)}.${randomBytes(6).toString("hex")}.tmp`);
  const fh = await open(tmp, "wx");
  try {
    const writeAt = async (b: Uint8Array, pos: number) => {
      await fh.write(b, 0, b.length, pos);
    };
    let pos = SUPERBLOCK_SIZE;
    if (options) {
      await writeAt(Buffer.concat([u16(options.length | METADATA_UNCOMPRESSED), options]), pos);
      pos += 2 + options.length;
    }

    // Data: file contents in inode order, so a directory's files lie together.
    const pool = new EncodePool(opts, opts.threads);
    const pending = new Map<WriteInode, Promise<FileData>>();
    const data = new DataWriter(writeAt, pool, blockSize, pos);
    try {
      for (const inode of inodes) {
        const e = inode.entry;
        if (e.type === "file") pending.set(inode, (await data.file(source.name, e.path, e.size, source.open(e))).data);
      }
      await data.finish();
    } finally {
      await pool.close();
    }
    const fileData = new Map<WriteInode, FileData>();
    for (const [inode, p] of pending) fileData.set(inode, await p);
    pos = data.position;

    // Inode and directory tables, children before their directory.
    const inodeTable = new MetadataWriter(encode);
    const dirTable = new MetadataWriter(encode);
    const ids = new Interned<number>();
    const xattrIds = new Interned<{ ref: number; count: number; size: number }>();
    const kv = new MetadataWriter(encode);
    const refs = new Map<WriteInode, number>();
    let mkfsTime = fixedTime ?? 0;
    const common = (inode: WriteInode, nlink: number) => {
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
        const x = encodeXattrs(source.name, e.path, e.xattrs);
        xattr = xattrIds.get(x.key, () => ({ ref: kv.append(x.bytes), count: x.count, size: x.size }));
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
              data: fileData.get(c.inode),
              size: e.size,
              target: e.linkTarget === undefined ? undefined : Buffer.from(e.linkTarget),
              rdev: e.rdev,
            }),
          );
          refs.set(c.inode, ref);
        }
        listed.push({ name: c.name, ref, number: c.inode.number, type: c.inode.entry.type });
      }
      // The index names the first run to start in each new metadata block, so the kernel's lookup (and ours)
      // skips to the block a name is in instead of scanning the listing from its start.
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
      const ref = inodeTable.append(
        encodeDirInode(common(dir.inode, 2 + subdirs), { block: at.block, offset: at.offset, length }, parent, index),
      );
      refs.set(dir.inode, ref);
      return ref;
    };
    const rootRef = emitDir(root, count + 1);
    if (ids.values.length > 0xffff) {
      throw new WriteInputError(source.name, "/", `${ids.values.length} distinct owners, over SquashFS's 65535`);
    }

    const out: Uint8Array[] = [];
    const put = (parts: Uint8Array[]) => {
      for (const p of parts) {
        out.push(p);
        pos += p.length;
      }
    };
    const inodeTableStart = pos;
    put(inodeTable.finish());
    const directoryTableStart = pos;
    put(dirTable.finish());

    let fragmentTableStart: number | undefined;
    if (data.fragments.length > 0) {
      const entries = Buffer.alloc(data.fragments.length * 16);
      for (const [i, f] of data.fragments.entries()) {
        entries.writeBigUInt64LE(BigInt(f.start), i * 16);
        entries.writeUInt32LE(f.size, i * 16 + 8);
      }
      const t = lookupTable(encode, entries, pos);
      put(t.blocks);
      fragmentTableStart = pos;
      put([t.index]);
    }
    const exportEntries = u64s(inodes.map((inode) => refs.get(inode) as number));
    const exp = lookupTable(encode, exportEntries, pos);
    put(exp.blocks);
    const exportTableStart = pos;
    put([exp.index]);
    const idEntries = Buffer.alloc(ids.values.length * 4);
    for (const [i, id] of ids.values.entries()) idEntries.writeUInt32LE(id, i * 4);
    const idt = lookupTable(encode, idEntries, pos);
    put(idt.blocks);
    const idTableStart = pos;
    put([idt.index]);

    let xattrIdTableStart: number | undefined;
    if (xattrIds.values.length > 0) {
      const kvStart = pos;
      put(kv.finish());
      const entries = Buffer.alloc(xattrIds.values.length * 16);
      for (const [i, x] of xattrIds.values.entries()) {
        entries.writeBigUInt64LE(BigInt(x.ref), i * 16);
        entries.writeUInt32LE(x.count, i * 16 + 8);
        entries.writeUInt32LE(x.size, i * 16 + 12);
      }
      const t = lookupTable(encode, entries, pos);
      put(t.blocks);
      xattrIdTableStart = pos;
      const head = Buffer.alloc(16);
      head.writeBigUInt64LE(BigInt(kvStart), 0);
      head.writeUInt32LE(xattrIds.values.length, 8);
      put([head, t.index]);
    }
    const bytesUsed = pos;
    const tables = Buffer.concat(out);
    await writeAt(tables, inodeTableStart);

    const sb = Buffer.alloc(SUPERBLOCK_SIZE);
    sb.writeUInt32LE(MAGIC, F.magic);
    sb.writeUInt32LE(count, F.inodeCount);
    sb.writeUInt32LE(mkfsTime, F.mkfsTime);
    sb.writeUInt32LE(blockSize, F.blockSize);
    sb.writeUInt32LE(data.fragments.length, F.fragmentCount);
    sb.writeUInt16LE(compressorId(opts.compressor), F.compressor);
    sb.writeUInt16LE(Math.log2(blockSize), F.blockLog);
    sb.writeUInt16LE(Flag.DUPLICATES | Flag.EXPORTABLE | (options ? Flag.COMPRESSOR_OPTIONS : 0), F.flags);
    sb.writeUInt16LE(ids.values.length, F.idCount);
    sb.writeUInt16LE(VERSION_MAJOR, F.versionMajor);
    sb.writeUInt16LE(VERSION_MINOR, F.versionMinor);
    const table = (v: number | undefined) => (v === undefined ? NO_TABLE : BigInt(v));
    sb.writeBigUInt64LE(BigInt(rootRef), F.rootInode);
    sb.writeBigUInt64LE(BigInt(bytesUsed), F.bytesUsed);
    sb.writeBigUInt64LE(BigInt(idTableStart), F.idTableStart);
    sb.writeBigUInt64LE(table(xattrIdTableStart), F.xattrIdTableStart);
    sb.writeBigUInt64LE(BigInt(inodeTableStart), F.inodeTableStart);
    sb.writeBigUInt64LE(BigInt(directoryTableStart), F.directoryTableStart);
    sb.writeBigUInt64LE(table(fragmentTableStart), F.fragmentTableStart);
    sb.writeBigUInt64LE(BigInt(exportTableStart), F.exportTableStart);
    await writeAt(sb, 0);

    const padded = Math.ceil(bytesUsed / PAD) * PAD;
    await fh.truncate(bytesUsed); // drops what a duplicate file left past the tables
    await fh.truncate(padded);
    await fh.sync();
    await fh.close();
    await rename(tmp, dest);
    return { path: dest, bytesUsed, inodes: count, fragments: data.fragments.length };
  } catch (err) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}
