import { FormatError } from "../../io/errors.js";
import type { ByteSource } from "../../io/source.js";
import { MAX_SYMLINKS, resolveAsync } from "../../io/symlink.js";
import { type BlockCodec, blockCodec } from "./codec.js";
import { type Extent, FileData, type FileRange, type StoredFile } from "./data.js";
import { type DirectoryEntry, DirectoryReader, type DirInode } from "./directory.js";
import { ExportTable } from "./export.js";
import { type CompressorOptions, DIR_SIZE_EXTRA, METADATA_SIZE, refBlock } from "./format.js";
import { FragmentTable } from "./fragment.js";
import { readIdTable } from "./id.js";
import { type Inode, type InodeKind, KINDS, readInode, toInode } from "./inode.js";
import { MetadataCache } from "./metadata.js";
import { readCompressorOptions, readSuperblock, type Superblock } from "./superblock.js";
import { XattrTable } from "./xattr.js";

export type { Extent, FileRange, StoredFile } from "./data.js";
export type { DirectoryEntry } from "./directory.js";
export type { CompressorOptions } from "./format.js";
export type { Inode, InodeKind } from "./inode.js";
export type { Superblock } from "./superblock.js";
/** The kind of an inode ("dir", "file", …); the on-disk type numbers are `InodeType` in format.ts. */
export type InodeType = InodeKind;

export interface WalkEntry {
  /** Absolute, "/"-separated, without a trailing slash: `/usr/lib/modules`. */
  readonly path: string;
  readonly inode: Inode;
}

const utf8 = new TextEncoder();

/**
 * A SquashFS 4.0 image read in place from a ByteSource (a file, a buffer, a slice of a larger archive).
 * Metadata blocks are decoded once and shared by every lookup; file data is streamed block by block.
 * Every fault in the image is a FormatError or LimitError naming the offset and the structure.
 */
export class SquashFs {
  /** Directory inodes by reference: at most one per directory of the image, each bounded by its listing. */
  private readonly directories = new Map<number, Inode>();

  private constructor(
    readonly src: ByteSource,
    readonly superblock: Superblock,
    /** Present when the superblock flags them (mksquashfs writes them for non-default settings). */
    readonly compressorOptions: CompressorOptions | undefined,
    private readonly cache: MetadataCache,
    private readonly ids: readonly number[],
    private readonly dirs: DirectoryReader,
    private readonly data: FileData,
    private readonly exports: ExportTable | undefined,
    private readonly xattrTable: XattrTable | undefined,
  ) {}

  static async open(src: ByteSource): Promise<SquashFs> {
    const sb = await readSuperblock(src);
    const decode: BlockCodec = await blockCodec(src.name, sb.compressor);
    const options = await readCompressorOptions(src, sb, (b, at) =>
      decode(b, METADATA_SIZE, at, "squashfs compressor options"),
    );
    const cache = new MetadataCache(src, decode);
    const { ids, firstBlock } = await readIdTable(src, cache, sb);
    const fragments = await FragmentTable.open(src, cache, sb);
    const exports = await ExportTable.open(src, cache, sb);
    const xattrs = await XattrTable.open(src, cache, sb);
    // The directory table ends where the first table after it begins.
    const ends = [
      fragments.firstBlock,
      exports?.firstBlock,
      firstBlock,
      xattrs?.kv.start,
      sb.fragmentTableStart,
      sb.exportTableStart,
      sb.idTableStart,
      sb.xattrIdTableStart,
      sb.bytesUsed,
    ].filter((p): p is number => p !== undefined && p > sb.directoryTableStart);
    const dirs = new DirectoryReader(cache, sb, {
      name: "directory table",
      start: sb.directoryTableStart,
      end: Math.min(...ends),
    });
    return new SquashFs(src, sb, options, cache, ids, dirs, new FileData(src, sb, decode, fragments), exports, xattrs);
  }

  /** The inode at a reference (inode-table block << 16 | offset). */
  async inode(ref: number): Promise<Inode> {
    const known = this.directories.get(ref);
    if (known !== undefined) return known;
    const disk = await readInode(this.cache, this.superblock, ref);
    const inode = toInode(disk, ref, this.ids, this.src.name, this.superblock.inodeTableStart + refBlock(ref));
    // Path lookups pass through the same directories again and again; files are met once per walk.
    if (inode.type === "dir") this.directories.set(ref, inode);
    return inode;
  }

  async root(): Promise<Inode> {
    const root = await this.inode(this.superblock.rootInode);
    if (root.type !== "dir") {
      throw new FormatError(
        this.src.name,
        0x20,
        "squashfs superblock root_inode",
        "a directory inode",
        `a ${root.type}`,
      );
    }
    return root;
  }

  /** The inode with a given number, through the export table; undefined when the image has none. */
  async inodeByNumber(number: number): Promise<Inode | undefined> {
    if (this.exports === undefined) return undefined;
    const inode = await this.inode(await this.exports.ref(number));
    if (inode.number !== number) {
      throw new FormatError(
        this.src.name,
        this.superblock.exportTableStart ?? 0,
        "export table entry",
        `inode ${number}`,
        `inode ${inode.number}`,
      );
    }
    return inode;
  }

  private dirOf(inode: Inode): DirInode {
    if (inode.disk.type !== 1 && inode.disk.type !== 8) throw new Error(`inode ${inode.number} is not a directory`);
    return inode.disk;
  }

  /** A directory's entries in stored (byte-wise sorted) order, without "." and "..". */
  async readdir(dir: Inode | string): Promise<DirectoryEntry[]> {
    return this.dirs.list(this.dirOf(await this.require(dir, true)));
  }

  /** The inode an entry names, checked against what the listing says of it. */
  private async entryInode(e: DirectoryEntry, path: string): Promise<Inode> {
    const inode = await this.inode(e.ref);
    if (inode.type !== KINDS[e.type] || inode.number !== e.inodeNumber) {
      throw new FormatError(
        this.src.name,
        this.superblock.inodeTableStart + refBlock(e.ref),
        `inode of ${path}`,
        `a ${KINDS[e.type]}, inode ${e.inodeNumber}, as its directory entry says`,
        `a ${inode.type}, inode ${inode.number}`,
      );
    }
    return inode;
  }

  /**
   * Every entry below the root, depth first in directory order: an entry, then (for a directory) everything
   * below it, then its next sibling. A directory reached twice, or two directories sharing one listing, is a
   * loop in a damaged image and a FormatError.
   */
  async *walk(): AsyncGenerator<WalkEntry> {
    const root = await this.root();
    const seen = new Set<number>([root.ref]);
    const listings = new Set<string>();
    const listing = async (dir: Inode, path: string): Promise<DirectoryEntry[]> => {
      const d = this.dirOf(dir);
      if (d.fileSize > DIR_SIZE_EXTRA) {
        const key = `${d.startBlock}:${d.offset}`;
        if (listings.has(key)) {
          throw new FormatError(
            this.src.name,
            this.superblock.directoryTableStart + d.startBlock,
            `listing of ${path || "/"}`,
            "a listing of its own",
            "one shared with another directory",
          );
        }
        listings.add(key);
      }
      return this.dirs.list(d);
    };
    const stack: { path: string; entries: DirectoryEntry[]; next: number }[] = [
      { path: "", entries: await listing(root, ""), next: 0 },
    ];
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as (typeof stack)[number];
      const e = top.entries[top.next++];
      if (e === undefined) {
        stack.pop();
        continue;
      }
      const path = `${top.path}/${e.name}`;
      const inode = await this.entryInode(e, path);
      yield { path, inode };
      if (inode.type !== "dir") continue;
      if (seen.has(inode.ref)) {
        throw new FormatError(
          this.src.name,
          this.superblock.inodeTableStart + refBlock(inode.ref),
          `directory ${path}`,
          "a tree without loops",
          `a directory met before (inode ${inode.number})`,
        );
      }
      seen.add(inode.ref);
      stack.push({ path, entries: await listing(inode, path), next: 0 });
    }
  }

  /**
   * The inode at an absolute path, or undefined when a component is missing or not a directory. Symlinks
   * inside the path are followed (absolute targets from the image's root); the last one only when `follow`.
   */
  private async resolve(path: string, follow: boolean): Promise<Inode | undefined> {
    const root = await this.root();
    // A trailing slash asks for a directory: a last symlink is followed even for lstat.
    const found = await resolveAsync(root, path.split("/"), { followLast: follow || path.endsWith("/") }, async (q) => {
      if (q.dir.type !== "dir") return undefined;
      const e = await this.dirs.lookup(this.dirOf(q.dir), utf8.encode(q.name));
      if (e === undefined) return undefined;
      const node = await this.entryInode(e, q.name);
      return node.type === "symlink" ? { node, symlink: node.symlinkTarget as string } : { node };
    });
    if (found.kind === "loop") {
      const at = this.superblock.inodeTableStart + refBlock(found.link.ref);
      throw new FormatError(
        this.src.name,
        at,
        `symlink ${found.name} in ${path}`,
        `at most ${MAX_SYMLINKS} symlinks`,
        "a loop",
      );
    }
    return found.kind === "found" ? found.node : undefined;
  }

  /** The inode at a path; symlinks are followed unless `followSymlinks` is false (then a link is itself). */
  stat(path: string, options: { followSymlinks?: boolean } = {}): Promise<Inode | undefined> {
    return this.resolve(path, options.followSymlinks ?? true);
  }

  /** A symlink's target; undefined when the path is missing or not a symlink. */
  async readlink(path: string): Promise<string | undefined> {
    return (await this.resolve(path, false))?.symlinkTarget;
  }

  private async require(target: Inode | string, follow: boolean): Promise<Inode> {
    if (typeof target !== "string") return target;
    const inode = await this.resolve(target, follow);
    if (inode === undefined) throw new Error(`${this.src.name}: no such path ${target}`);
    return inode;
  }

  /** Extended attributes (full name to value, stored order); a path's own, not its symlink target's. */
  async listXattrs(target: Inode | string): Promise<Map<string, Uint8Array>> {
    const inode = await this.require(target, false);
    if (inode.xattrIndex === undefined) return new Map();
    if (this.xattrTable === undefined) {
      throw new FormatError(
        this.src.name,
        0x38,
        "squashfs superblock xattr_id_table_start",
        `a table for inode ${inode.number}'s xattrs`,
        "none",
      );
    }
    return this.xattrTable.read(inode.xattrIndex);
  }

  /** Where a regular file's stored bytes are in the image (its data blocks, its fragment block). */
  async extents(inode: Inode): Promise<Extent[]> {
    if (inode.disk.type !== 2 && inode.disk.type !== 9)
      throw new Error(`${this.src.name}: inode ${inode.number} is not a regular file`);
    return this.data.extents(inode.disk, this.superblock.inodeTableStart + refBlock(inode.ref));
  }

  /** A regular file's blocks as stored, to decode on another thread (data.ts assembleFile). */
  async storedFile(inode: Inode): Promise<StoredFile> {
    if (inode.disk.type !== 2 && inode.disk.type !== 9)
      throw new Error(`${this.src.name}: inode ${inode.number} is not a regular file`);
    return this.data.stored(inode.disk, this.superblock.inodeTableStart + refBlock(inode.ref));
  }

  /** A regular file's content (or `range` of it), streamed one block at a time; a path's symlinks are followed. */
  async *readFile(target: Inode | string, range?: FileRange): AsyncGenerator<Uint8Array> {
    const inode = await this.require(target, true);
    if (inode.disk.type !== 2 && inode.disk.type !== 9)
      throw new Error(
        `${this.src.name}: ${typeof target === "string" ? target : `inode ${inode.number}`} is not a regular file`,
      );
    yield* this.data.read(inode.disk, this.superblock.inodeTableStart + refBlock(inode.ref), range);
  }
}
