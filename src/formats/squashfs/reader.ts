import { FormatError, LimitError } from "../../errors.js";
import type { ByteSource } from "../../io/source.js";
import { type Compression, decompressBlock, loadNativeZstd } from "../compress/index.js";

/** SquashFS 4.0 (kernel fs/squashfs/squashfs_fs.h): little-endian, 96-byte superblock, 8 KiB metadata blocks. */
const MAGIC = 0x73717368;
const METADATA_SIZE = 8192;
const UNCOMPRESSED_METADATA = 0x8000;
const UNCOMPRESSED_DATA = 1 << 24;
const NO_FRAGMENT = 0xffffffff;

const COMPRESSORS: Record<number, Compression> = { 1: "gzip", 2: "lzma", 3: "lzo", 4: "xz", 5: "lz4-frame", 6: "zstd" };
const NAMES: Record<number, string> = { 1: "gzip", 2: "lzma", 3: "lzo", 4: "xz", 5: "lz4", 6: "zstd" };

export interface Superblock {
  readonly inodeCount: number;
  readonly modTime: number;
  readonly blockSize: number;
  readonly fragmentCount: number;
  readonly compressor: string;
  readonly flags: number;
  readonly idCount: number;
  readonly rootInode: bigint;
  readonly bytesUsed: number;
  readonly idTableStart: number;
  readonly xattrIdTableStart: number;
  readonly inodeTableStart: number;
  readonly directoryTableStart: number;
  readonly fragmentTableStart: number;
}

export type InodeType = "dir" | "file" | "symlink" | "block" | "char" | "fifo" | "socket";

export interface Inode {
  readonly type: InodeType;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly mtime: number;
  readonly number: number;
  readonly nlink: number;
  readonly size: number;
  readonly symlinkTarget?: string;
  readonly rdevMajor?: number;
  readonly rdevMinor?: number;
  /** Files: where the first data block is, each block's stored size, and the tail fragment. */
  readonly blocksStart?: number;
  readonly blockSizes?: readonly number[];
  readonly fragment?: { readonly index: number; readonly offset: number };
  /** Extended inodes: the entry of the xattr id table that lists this inode's extended attributes. */
  readonly xattrIndex?: number;
  /** Directories: where the listing is in the directory table. */
  readonly dirBlock?: number;
  readonly dirOffset?: number;
}

const NO_XATTR = 0xffffffff;
const XATTR_PREFIXES: Record<number, string> = { 0: "user.", 1: "trusted.", 2: "security." };
const XATTR_OUT_OF_LINE = 0x100;
const xattr = (index: number): { xattrIndex?: number } => (index === NO_XATTR ? {} : { xattrIndex: index });

const TYPES: InodeType[] = ["dir", "file", "symlink", "block", "char", "fifo", "socket"];
const u64 = (v: DataView, o: number): number => Number(v.getBigUint64(o, true));

/** A cursor over a metadata table from (block, offset), crossing 8 KiB blocks as the reads need. */
class MetaCursor {
  private data: Uint8Array | undefined;
  private pos: number;
  private next: number;

  constructor(
    private readonly fs: SquashFs,
    tableStart: number,
    block: number,
    offset: number,
    private readonly what: string,
  ) {
    this.next = tableStart + block;
    this.pos = offset;
  }

  private async load(): Promise<Uint8Array> {
    const { data, size } = await this.fs.metadataBlock(this.next, this.what);
    this.next += size;
    this.data = data;
    return data;
  }

  async read(n: number): Promise<Uint8Array> {
    const out = new Uint8Array(n);
    let got = 0;
    let data = this.data ?? (await this.load());
    if (this.pos > data.length) {
      throw new FormatError(
        this.fs.src.name,
        this.next,
        this.what,
        `an offset within ${data.length}`,
        String(this.pos),
      );
    }
    while (got < n) {
      if (this.pos === data.length) {
        data = await this.load();
        this.pos = 0;
      }
      const take = Math.min(n - got, data.length - this.pos);
      out.set(data.subarray(this.pos, this.pos + take), got);
      got += take;
      this.pos += take;
    }
    return out;
  }

  async view(n: number): Promise<DataView> {
    const b = await this.read(n);
    return new DataView(b.buffer, b.byteOffset, b.length);
  }
}

export interface WalkEntry {
  readonly path: string;
  readonly inode: Inode;
}

/**
 * A SquashFS 4.0 image on a ByteSource: metadata blocks are cached, so walking thousands of files decodes
 * each block once; file data is streamed block by block.
 */
export class SquashFs {
  private readonly cache = new Map<number, { data: Uint8Array; size: number }>();
  private ids: number[] = [];
  private fragments: { start: number; size: number }[] = [];
  private kind: Compression = "zstd";
  private xattrIds: { ref: bigint; count: number }[] | undefined;
  private kvStart = 0;

  private constructor(
    readonly src: ByteSource,
    readonly superblock: Superblock,
  ) {}

  static async open(src: ByteSource): Promise<SquashFs> {
    const b = await src.read(0, 96, "squashfs superblock");
    const v = new DataView(b.buffer, b.byteOffset, 96);
    if (v.getUint32(0, true) !== MAGIC) {
      throw new FormatError(src.name, 0, "squashfs superblock", "magic hsqs", v.getUint32(0, true).toString(16));
    }
    if (v.getUint16(28, true) !== 4 || v.getUint16(30, true) !== 0) {
      throw new FormatError(
        src.name,
        28,
        "squashfs version",
        "4.0",
        `${v.getUint16(28, true)}.${v.getUint16(30, true)}`,
      );
    }
    const id = v.getUint16(20, true);
    const blockSize = v.getUint32(12, true);
    if (blockSize < 4096 || blockSize > 1 << 20 || (blockSize & (blockSize - 1)) !== 0) {
      throw new FormatError(
        src.name,
        12,
        "squashfs block_size",
        "a power of two from 4 KiB to 1 MiB",
        String(blockSize),
      );
    }
    const sb: Superblock = {
      inodeCount: v.getUint32(4, true),
      modTime: v.getUint32(8, true),
      blockSize,
      fragmentCount: v.getUint32(16, true),
      compressor: NAMES[id] ?? `unknown (${id})`,
      flags: v.getUint16(24, true),
      idCount: v.getUint16(26, true),
      rootInode: v.getBigUint64(32, true),
      bytesUsed: u64(v, 40),
      idTableStart: u64(v, 48),
      xattrIdTableStart: u64(v, 56),
      inodeTableStart: u64(v, 64),
      directoryTableStart: u64(v, 72),
      fragmentTableStart: u64(v, 80),
    };
    if (sb.bytesUsed > src.size) {
      throw new FormatError(
        src.name,
        40,
        "squashfs bytes_used",
        `at most the image size ${src.size}`,
        String(sb.bytesUsed),
      );
    }
    const kind = COMPRESSORS[id];
    if (kind === undefined || kind === "lzma" || kind === "lzo") {
      throw new FormatError(
        src.name,
        20,
        "squashfs compressor",
        "gzip, xz, lz4 or zstd",
        `unsupported compressor ${sb.compressor}`,
      );
    }
    if (kind === "zstd") await loadNativeZstd();
    const fs = new SquashFs(src, sb);
    fs.kind = kind;
    fs.ids = await fs.table(sb.idTableStart, sb.idCount, 4, "id table", (d, o) => d.getUint32(o, true));
    fs.fragments =
      sb.fragmentCount === 0 || sb.fragmentTableStart === -1
        ? []
        : await fs.table(sb.fragmentTableStart, sb.fragmentCount, 16, "fragment table", (d, o) => ({
            start: u64(d, o),
            size: d.getUint32(o + 8, true),
          }));
    return fs;
  }

  /** One metadata block at an absolute offset: decoded bytes, and its stored size with the header. */
  async metadataBlock(at: number, what: string): Promise<{ data: Uint8Array; size: number }> {
    const hit = this.cache.get(at);
    if (hit) return hit;
    const h = await this.src.read(at, 2, `${what} metadata header`);
    const word = (h[0] as number) | ((h[1] as number) << 8);
    const len = word & ~UNCOMPRESSED_METADATA;
    if (len === 0 || len > METADATA_SIZE) {
      throw new FormatError(
        this.src.name,
        at,
        `${what} metadata header`,
        `a length of 1 to ${METADATA_SIZE}`,
        String(len),
      );
    }
    const raw = await this.src.read(at + 2, len, `${what} metadata block`);
    const data =
      word & UNCOMPRESSED_METADATA ? raw : decompressBlock(this.kind, raw, METADATA_SIZE, `${this.src.name}@${at}`);
    const block = { data, size: 2 + len };
    this.cache.set(at, block);
    return block;
  }

  /** A lookup table: an array of u64 pointers at `start`, each to a metadata block of entries. */
  private async table<T>(
    start: number,
    count: number,
    size: number,
    what: string,
    parse: (d: DataView, o: number) => T,
  ): Promise<T[]> {
    if (count * size > this.src.size * 64)
      throw new LimitError(this.src.name, start, what, this.src.size * 64, count * size);
    const perBlock = METADATA_SIZE / size;
    const nblocks = Math.ceil(count / perBlock);
    const ptrs = await this.src.read(start, nblocks * 8, `${what} index`);
    const pv = new DataView(ptrs.buffer, ptrs.byteOffset, ptrs.length);
    const out: T[] = [];
    for (let b = 0; b < nblocks; b++) {
      const { data } = await this.metadataBlock(u64(pv, b * 8), what);
      const d = new DataView(data.buffer, data.byteOffset, data.length);
      const n = Math.min(perBlock, count - b * perBlock);
      if (n * size > data.length)
        throw new FormatError(this.src.name, u64(pv, b * 8), what, `${n} entries`, `${data.length} bytes`);
      for (let i = 0; i < n; i++) out.push(parse(d, i * size));
    }
    return out;
  }

  private id(i: number, at: number): number {
    const v = this.ids[i];
    if (v === undefined)
      throw new FormatError(this.src.name, at, "inode uid/gid index", `below ${this.ids.length}`, String(i));
    return v;
  }

  /** Reads the inode at a reference (metadata block offset << 16 | offset in block). */
  async inode(ref: bigint): Promise<Inode> {
    const block = Number(ref >> 16n);
    const offset = Number(ref & 0xffffn);
    const c = new MetaCursor(this, this.superblock.inodeTableStart, block, offset, "inode table");
    const at = this.superblock.inodeTableStart + block;
    const h = await c.view(16);
    const t = h.getUint16(0, true);
    const basic = t >= 1 && t <= 7;
    const type = TYPES[(basic ? t : t - 7) - 1];
    if (type === undefined || t > 14) throw new FormatError(this.src.name, at, "inode type", "1 to 14", String(t));
    const common = {
      type,
      mode: h.getUint16(2, true),
      uid: this.id(h.getUint16(4, true), at),
      gid: this.id(h.getUint16(6, true), at),
      mtime: h.getUint32(8, true),
      number: h.getUint32(12, true),
    };
    const bs = this.superblock.blockSize;
    switch (t) {
      case 1: {
        const d = await c.view(16);
        return {
          ...common,
          dirBlock: d.getUint32(0, true),
          nlink: d.getUint32(4, true),
          size: d.getUint16(8, true),
          dirOffset: d.getUint16(10, true),
        };
      }
      case 8: {
        const d = await c.view(24);
        return {
          ...common,
          nlink: d.getUint32(0, true),
          size: d.getUint32(4, true),
          dirBlock: d.getUint32(8, true),
          dirOffset: d.getUint16(18, true),
          ...xattr(d.getUint32(20, true)),
        };
      }
      case 2:
      case 9: {
        const d = await c.view(t === 2 ? 16 : 40);
        const [start, frag, fragOffset, size, nlink] =
          t === 2
            ? [d.getUint32(0, true), d.getUint32(4, true), d.getUint32(8, true), d.getUint32(12, true), 1]
            : [u64(d, 0), d.getUint32(28, true), d.getUint32(32, true), u64(d, 8), d.getUint32(24, true)];
        const nblocks = frag === NO_FRAGMENT ? Math.ceil(size / bs) : Math.floor(size / bs);
        if (nblocks * 4 > this.src.size)
          throw new FormatError(this.src.name, at, "file inode", "a block list the image can hold", String(nblocks));
        const list = await c.view(nblocks * 4);
        const blockSizes = Array.from({ length: nblocks }, (_, i) => list.getUint32(i * 4, true));
        return {
          ...common,
          nlink,
          size,
          blocksStart: start,
          blockSizes,
          ...(frag === NO_FRAGMENT ? {} : { fragment: { index: frag, offset: fragOffset } }),
          ...(t === 9 ? xattr(d.getUint32(36, true)) : {}),
        };
      }
      case 3:
      case 10: {
        const d = await c.view(8);
        const len = d.getUint32(4, true);
        if (len > 4096)
          throw new FormatError(this.src.name, at, "symlink inode", "a target of at most 4096 bytes", String(len));
        const target = new TextDecoder().decode(await c.read(len));
        const x = t === 10 ? xattr((await c.view(4)).getUint32(0, true)) : {};
        return { ...common, nlink: d.getUint32(0, true), size: len, symlinkTarget: target, ...x };
      }
      case 4:
      case 5:
      case 11:
      case 12: {
        const d = await c.view(8);
        const dev = d.getUint32(4, true);
        return {
          ...common,
          nlink: d.getUint32(0, true),
          size: 0,
          rdevMajor: (dev >> 8) & 0xfff,
          rdevMinor: (dev & 0xff) | ((dev >> 12) & 0xfff00),
          ...(t >= 11 ? xattr((await c.view(4)).getUint32(0, true)) : {}),
        };
      }
      default: {
        const d = await c.view(t >= 13 ? 8 : 4);
        return { ...common, nlink: d.getUint32(0, true), size: 0, ...(t >= 13 ? xattr(d.getUint32(4, true)) : {}) };
      }
    }
  }

  /**
   * An inode's extended attributes, name to value. The xattr id table maps the inode's index to a run of
   * key/value pairs; a value flagged out-of-line is a reference to a value stored once for many inodes.
   */
  async xattrs(inode: Inode): Promise<Map<string, Uint8Array>> {
    const out = new Map<string, Uint8Array>();
    if (inode.xattrIndex === undefined) return out;
    const sb = this.superblock;
    if (sb.xattrIdTableStart === -1 || sb.xattrIdTableStart + 16 > this.src.size) {
      throw new FormatError(this.src.name, 56, "xattr id table", "a table for an inode with xattrs", "none");
    }
    if (this.xattrIds === undefined) {
      const h = await this.src.read(sb.xattrIdTableStart, 16, "xattr id table header");
      const hv = new DataView(h.buffer, h.byteOffset, 16);
      this.kvStart = u64(hv, 0);
      this.xattrIds = await this.table(
        sb.xattrIdTableStart + 16,
        hv.getUint32(8, true),
        16,
        "xattr id table",
        (d, o) => ({
          ref: d.getBigUint64(o, true),
          count: d.getUint32(o + 8, true),
        }),
      );
    }
    const id = this.xattrIds[inode.xattrIndex];
    if (id === undefined)
      throw new FormatError(
        this.src.name,
        sb.xattrIdTableStart,
        "xattr index",
        `below ${this.xattrIds.length}`,
        String(inode.xattrIndex),
      );
    const c = new MetaCursor(this, this.kvStart, Number(id.ref >> 16n), Number(id.ref & 0xffffn), "xattr table");
    for (let i = 0; i < id.count; i++) {
      const k = await c.view(4);
      const type = k.getUint16(0, true);
      const prefix = XATTR_PREFIXES[type & 0xff];
      if (prefix === undefined)
        throw new FormatError(this.src.name, this.kvStart, "xattr key", "user, trusted or security", String(type));
      const name = prefix + new TextDecoder().decode(await c.read(k.getUint16(2, true)));
      const size = (await c.view(4)).getUint32(0, true);
      if (size > 65536)
        throw new FormatError(this.src.name, this.kvStart, "xattr value", "at most 64 KiB", String(size));
      let value = await c.read(size);
      if (type & XATTR_OUT_OF_LINE) {
        const ref = new DataView(value.buffer, value.byteOffset, 8).getBigUint64(0, true);
        const v = new MetaCursor(this, this.kvStart, Number(ref >> 16n), Number(ref & 0xffffn), "xattr value");
        const n = (await v.view(4)).getUint32(0, true);
        if (n > 65536) throw new FormatError(this.src.name, this.kvStart, "xattr value", "at most 64 KiB", String(n));
        value = await v.read(n);
      }
      out.set(name, value);
    }
    return out;
  }

  /** A directory's entries, in stored (sorted) order. */
  async readdir(dir: Inode): Promise<{ name: string; ref: bigint }[]> {
    if (dir.type !== "dir" || dir.dirBlock === undefined) throw new Error("not a directory");
    // The stored size counts three bytes that are not there (the kernel's "." and ".." allowance).
    let left = dir.size - 3;
    if (left <= 0) return [];
    const c = new MetaCursor(
      this,
      this.superblock.directoryTableStart,
      dir.dirBlock,
      dir.dirOffset ?? 0,
      "directory table",
    );
    const at = this.superblock.directoryTableStart + dir.dirBlock;
    const out: { name: string; ref: bigint }[] = [];
    while (left > 0) {
      const h = await c.view(12);
      const count = h.getUint32(0, true) + 1;
      const start = h.getUint32(4, true);
      left -= 12;
      if (count > 256)
        throw new FormatError(this.src.name, at, "directory header", "at most 256 entries", String(count));
      for (let i = 0; i < count; i++) {
        const e = await c.view(8);
        const nameLen = e.getUint16(6, true) + 1;
        if (nameLen > 256)
          throw new FormatError(this.src.name, at, "directory entry", "a name of at most 256 bytes", String(nameLen));
        const name = new TextDecoder().decode(await c.read(nameLen));
        if (name === "." || name === ".." || name.includes("/")) {
          throw new FormatError(this.src.name, at, "directory entry", "a plain file name", JSON.stringify(name));
        }
        out.push({ name, ref: (BigInt(start) << 16n) | BigInt(e.getUint16(0, true)) });
        left -= 8 + nameLen;
      }
    }
    if (left < 0)
      throw new FormatError(this.src.name, at, "directory listing", `${dir.size - 3} bytes`, "entries past its end");
    return out;
  }

  /** Every entry below the root: a directory's entries in stored order, then its subdirectories'. Cycles are refused. */
  async *walk(): AsyncGenerator<WalkEntry> {
    const root = await this.inode(this.superblock.rootInode);
    const seen = new Set<number>([root.number]);
    const stack: WalkEntry[] = [{ path: "", inode: root }];
    while (stack.length > 0) {
      const dir = stack.pop() as WalkEntry;
      const children: WalkEntry[] = [];
      for (const { name, ref } of await this.readdir(dir.inode)) {
        children.push({ path: `${dir.path}/${name}`, inode: await this.inode(ref) });
      }
      yield* children;
      for (const c of children.reverse()) {
        if (c.inode.type !== "dir") continue;
        if (seen.has(c.inode.number)) {
          throw new FormatError(
            this.src.name,
            0,
            "directory tree",
            "no cycles",
            `${c.path} repeats inode ${c.inode.number}`,
          );
        }
        seen.add(c.inode.number);
        stack.push(c);
      }
    }
  }

  /** The inode at an absolute path (`/usr/lib/x`), without following symlinks. */
  async stat(path: string): Promise<Inode | undefined> {
    let inode = await this.inode(this.superblock.rootInode);
    for (const part of path.split("/").filter(Boolean)) {
      if (inode.type !== "dir") return undefined;
      const e = (await this.readdir(inode)).find((x) => x.name === part);
      if (e === undefined) return undefined;
      inode = await this.inode(e.ref);
    }
    return inode;
  }

  private data(stored: number, at: number, max: number, what: string): Promise<Uint8Array> | Uint8Array {
    const size = stored & ~UNCOMPRESSED_DATA;
    if (size > max + 64 || at + size > this.src.size) {
      throw new FormatError(this.src.name, at, what, `a block inside the image of at most ${max} bytes`, String(size));
    }
    return this.src
      .read(at, size, what)
      .then((raw) =>
        stored & UNCOMPRESSED_DATA ? raw : decompressBlock(this.kind, raw, max, `${this.src.name}@${at}`),
      );
  }

  /** A file's content, one block at a time: data blocks (a stored size of 0 is a sparse block), then its tail. */
  async *readFile(inode: Inode): AsyncGenerator<Uint8Array> {
    if (inode.type !== "file") throw new Error("not a regular file");
    const bs = this.superblock.blockSize;
    let at = inode.blocksStart ?? 0;
    let left = inode.size;
    for (const stored of inode.blockSizes ?? []) {
      const want = Math.min(bs, left);
      const block = stored === 0 ? new Uint8Array(want) : await this.data(stored, at, bs, "data block");
      at += stored & ~UNCOMPRESSED_DATA;
      if (block.length < want)
        throw new FormatError(this.src.name, at, "data block", `${want} bytes`, String(block.length));
      yield block.subarray(0, want);
      left -= want;
    }
    if (inode.fragment && left > 0) {
      const f = this.fragments[inode.fragment.index];
      if (f === undefined)
        throw new FormatError(
          this.src.name,
          0,
          "fragment index",
          `below ${this.fragments.length}`,
          String(inode.fragment.index),
        );
      const block = await this.data(f.size, f.start, bs, "fragment block");
      const end = inode.fragment.offset + left;
      if (end > block.length)
        throw new FormatError(this.src.name, f.start, "fragment", `${end} bytes`, String(block.length));
      yield block.subarray(inode.fragment.offset, end);
    }
  }
}
