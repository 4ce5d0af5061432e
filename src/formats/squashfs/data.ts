import { FormatError } from "../../io/errors.js";
import type { ByteSource } from "../../io/source.js";
import type { BlockCodec } from "./codec.js";
import {
  type BasicFileInode,
  type CompressorName,
  DATA_SIZE_MASK,
  DATA_UNCOMPRESSED,
  type ExtFileInode,
  INVALID_FRAGMENT,
  SPARSE_BLOCK,
} from "./format.js";
import type { FragmentTable } from "./fragment.js";
import type { Superblock } from "./superblock.js";

export type FileInode = BasicFileInode | ExtFileInode;

/** A byte range of a file: `length` bytes from `offset`, clipped to the file's size. */
export interface FileRange {
  readonly offset: number;
  readonly length: number;
}

/** Bytes `start` up to `end` of the image. */
export interface Extent {
  readonly start: number;
  readonly end: number;
}

/** A file's data blocks as stored, to be decoded elsewhere (another thread) by `assembleFile`. */
export interface StoredFile {
  /** The image, named in errors. */
  readonly name: string;
  readonly compressor: CompressorName;
  readonly size: number;
  readonly blockSize: number;
  /**
   * Each data block: its stored bytes (`compressed` or not), or undefined for a sparse one; and where it is.
   * The blocks and the fragment are views of the image's bytes as its source gives them: a caller moving them
   * to another thread copies them first.
   */
  readonly blocks: readonly { readonly bytes?: Uint8Array; readonly compressed: boolean; readonly at: number }[];
  /** The fragment block holding the tail, as stored (decoded by assembleFile), and where the tail is in it. */
  readonly fragment?: {
    readonly bytes: Uint8Array;
    readonly compressed: boolean;
    readonly at: number;
    readonly index: number;
    readonly offset: number;
  };
}

/** Names the fragment block a stored file's tail is in (its image and position), undefined without one. */
export const fragmentKey = (file: StoredFile): string | undefined =>
  file.fragment && `${file.name}:${file.fragment.at}`;

/** Fragment blocks hold the tails of many small files in a row; the last few decoded ones are kept. */
const FRAGMENT_CACHE = 8;

/**
 * File content: data blocks (contiguous from blocks_start, each compressed, stored as is, or sparse) and
 * the tail in a fragment block. Blocks are decoded one at a time, so memory stays at about one block.
 */
export class FileData {
  private readonly fragmentBlocks = new Map<number, Uint8Array>();

  constructor(
    private readonly src: ByteSource,
    private readonly sb: Superblock,
    private readonly decode: BlockCodec,
    private readonly fragments: FragmentTable,
  ) {}

  /**
   * The stored bytes of one block at `at`. `from` is where its size word and position come from (the inode,
   * the fragment table), named when they are what is wrong.
   */
  private async fetch(word: number, at: number, what: string, from: number): Promise<Uint8Array> {
    this.checkBlock(word, at, what, from);
    return this.src.read(at, word & DATA_SIZE_MASK, what);
  }

  /** A block's size word and position checked: within the block size, and inside the image. */
  private checkBlock(word: number, at: number, what: string, from: number): void {
    const stored = word & DATA_SIZE_MASK;
    if ((word & ~(DATA_SIZE_MASK | DATA_UNCOMPRESSED)) !== 0 || stored > this.sb.blockSize) {
      throw new FormatError(
        this.src.name,
        from,
        `${what} size`,
        `at most ${this.sb.blockSize} bytes`,
        `0x${word.toString(16)}`,
      );
    }
    if (at + stored > this.sb.bytesUsed) {
      throw new FormatError(
        this.src.name,
        from,
        `${what} position`,
        `${stored} bytes within bytes_used ${this.sb.bytesUsed}`,
        `${at}`,
      );
    }
  }

  /** A fetched block decoded (or taken as stored), checked to hold at least `want` bytes. */
  private decodeBlock(word: number, raw: Uint8Array, at: number, want: number, what: string): Uint8Array {
    // A stored block may be a view of the caller's buffer: hand out a copy, never the source itself.
    const data = word & DATA_UNCOMPRESSED ? raw.slice() : this.decode(raw, this.sb.blockSize, at, what);
    if (data.length < want) throw new FormatError(this.src.name, at, what, `${want} bytes decoded`, `${data.length}`);
    return data;
  }

  /**
   * The fragment table's entry for `file`'s tail, its size word and position checked; a tail without a
   * fragment is an error of the inode.
   */
  private async fragmentEntry(file: FileInode, at: number): Promise<{ start: number; size: number }> {
    if (file.fragment === INVALID_FRAGMENT) {
      throw new FormatError(
        this.src.name,
        at,
        "file inode",
        `blocks for all ${file.fileSize} bytes`,
        `${file.blockSizes.length} blocks and no fragment`,
      );
    }
    const f = await this.fragments.entry(file.fragment, at);
    this.checkBlock(f.size, f.start, `fragment block ${file.fragment}`, this.sb.fragmentTableStart ?? at);
    return f;
  }

  private async fragment(file: FileInode, at: number): Promise<Uint8Array> {
    const index = file.fragment;
    const hit = this.fragmentBlocks.get(index);
    if (hit !== undefined) return hit;
    const f = await this.fragmentEntry(file, at);
    const what = `fragment block ${index}`;
    const raw = await this.src.read(f.start, f.size & DATA_SIZE_MASK, what);
    const data = this.decodeBlock(f.size, raw, f.start, 0, what);
    this.fragmentBlocks.set(index, data);
    if (this.fragmentBlocks.size > FRAGMENT_CACHE) {
      this.fragmentBlocks.delete(this.fragmentBlocks.keys().next().value as number);
    }
    return data;
  }

  /** The tail of `file` from its fragment, checked as `read` checks it; empty when it has none. */
  private async tail(file: FileInode, at: number, size: number, tailStart: number): Promise<Uint8Array> {
    if (size <= tailStart) return new Uint8Array(0);
    const block = await this.fragment(file, at);
    return tailIn(block, file.fragment, file.fragmentOffset, size - tailStart, this.src.name, at);
  }

  /** Whether part of the file lies past its blocks, in a fragment. */
  private hasTail(file: FileInode): boolean {
    return file.fileSize > file.blockSizes.length * this.sb.blockSize;
  }

  /**
   * The file's data blocks, each size word and position checked as reading checks them, and where their run
   * (from blocks_start) ends.
   */
  private blocksOf(file: FileInode, at: number): { blocks: { word: number; at: number }[]; end: number } {
    const count = Math.min(file.blockSizes.length, Math.ceil(file.fileSize / this.sb.blockSize));
    const blocks: { word: number; at: number }[] = [];
    let end = file.blocksStart;
    for (const [k, word] of file.blockSizes.slice(0, count).entries()) {
      if (word !== SPARSE_BLOCK) this.checkBlock(word, end, `data block ${k} of a file`, at);
      blocks.push({ word, at: end });
      end += word & DATA_SIZE_MASK;
    }
    return { blocks, end };
  }

  /**
   * Where the file's stored bytes are: its data blocks (one run from blocks_start) and its fragment block, as
   * byte ranges of the image, for a reader that sees the image pass once and keeps only these. Checked as
   * reading checks them, so no range is larger than its blocks or outside the image.
   */
  async extents(file: FileInode, at: number): Promise<Extent[]> {
    const { end } = this.blocksOf(file, at);
    const out: Extent[] = end > file.blocksStart ? [{ start: file.blocksStart, end }] : [];
    if (this.hasTail(file) && file.fragment !== INVALID_FRAGMENT) {
      const f = await this.fragmentEntry(file, at);
      out.push({ start: f.start, end: f.start + (f.size & DATA_SIZE_MASK) });
    }
    return out;
  }

  /** The whole file's blocks as stored, for `assembleFile`; `at` locates the inode for errors. */
  async stored(file: FileInode, at: number): Promise<StoredFile> {
    const { blocks: placed, end } = this.blocksOf(file, at);
    const start = file.blocksStart;
    const run = end > start ? await this.src.read(start, end - start, "data blocks of a file") : undefined;
    const blocks = placed.map(({ word, at: p }) => {
      const compressed = (word & DATA_UNCOMPRESSED) === 0;
      if (word === SPARSE_BLOCK || run === undefined) return { compressed, at: p };
      return { bytes: run.subarray(p - start, p - start + (word & DATA_SIZE_MASK)), compressed, at: p };
    });
    return {
      name: this.src.name,
      compressor: this.sb.compressor,
      size: file.fileSize,
      blockSize: this.sb.blockSize,
      blocks,
      ...(this.hasTail(file) ? { fragment: await this.storedFragment(file, at) } : {}),
    };
  }

  /** The fragment block of `file`'s tail as stored. */
  private async storedFragment(file: FileInode, at: number): Promise<NonNullable<StoredFile["fragment"]>> {
    const f = await this.fragmentEntry(file, at);
    return {
      bytes: await this.src.read(f.start, f.size & DATA_SIZE_MASK, `fragment block ${file.fragment}`),
      compressed: (f.size & DATA_UNCOMPRESSED) === 0,
      at: f.start,
      index: file.fragment,
      offset: file.fragmentOffset,
    };
  }

  /** The bytes of `range` (the whole file by default), one block at a time. `at` locates the inode for errors. */
  async *read(file: FileInode, at: number, range?: FileRange): AsyncGenerator<Uint8Array> {
    const bs = this.sb.blockSize;
    const size = file.fileSize;
    const start = Math.min(range?.offset ?? 0, size);
    const end = Math.min(range === undefined ? size : start + range.length, size);
    const blocks = file.blockSizes;
    // Where block k starts: blocks_start plus the stored sizes of the blocks before it.
    let pos = file.blocksStart;
    const first = Math.floor(start / bs);
    for (let k = 0; k < Math.min(first, blocks.length); k++) pos += (blocks[k] as number) & DATA_SIZE_MASK;
    const last = Math.min(blocks.length, Math.ceil(end / bs));
    const what = (k: number) => `data block ${k} of a file`;
    // One block ahead is read while the current one is decoded and consumed.
    const ahead = (k: number, p: number): Promise<Uint8Array> | undefined => {
      const word = blocks[k] as number;
      if (k >= last || word === SPARSE_BLOCK) return undefined;
      const read = this.fetch(word, p, what(k), at);
      read.catch(() => undefined); // awaited below, or dropped when the consumer stops early
      return read;
    };
    let pending = ahead(first, pos);
    for (let k = first; k < last; k++) {
      const word = blocks[k] as number;
      const want = Math.min(bs, size - k * bs);
      const current = pending;
      const next = pos + (word & DATA_SIZE_MASK);
      pending = ahead(k + 1, next);
      const data =
        current === undefined ? new Uint8Array(want) : this.decodeBlock(word, await current, pos, want, what(k));
      if (data.length !== want) {
        throw new FormatError(this.src.name, pos, what(k), `${want} bytes decoded`, `${data.length}`);
      }
      pos = next;
      yield data.subarray(Math.max(0, start - k * bs), Math.min(want, end - k * bs));
    }
    const tailStart = blocks.length * bs;
    if (end <= tailStart) return;
    const tail = await this.tail(file, at, size, tailStart);
    // A copy: the fragment block stays cached for the files that share it.
    yield tail.slice(Math.max(0, start - tailStart), end - tailStart);
  }
}

/**
 * Decoded fragment blocks of one image for `assembleFile`: the last few, which the next files share. Each is
 * decoded into a buffer of its own, the evicted block's buffer when there is one, so a long run of files makes
 * a few block-sized buffers rather than one per fragment.
 */
export class FragmentBlocks {
  private readonly kept = new Map<number, Uint8Array>();
  private spare: Uint8Array | undefined;

  /** Fragment block `f` decoded (or copied, when stored as is: `f.bytes` may not outlive the call). */
  decoded(f: NonNullable<StoredFile["fragment"]>, blockSize: number, decode: BlockCodec, what: string): Uint8Array {
    const hit = this.kept.get(f.index);
    if (hit !== undefined) return hit;
    const into = this.spare ?? new Uint8Array(blockSize);
    // Taken: an evicted block whose buffer is not one of these (a decoder that made its own) leaves none.
    this.spare = undefined;
    let block: Uint8Array;
    if (f.compressed) block = decode(f.bytes, blockSize, f.at, what, into);
    else {
      // stored() checked it against the block size.
      into.set(f.bytes);
      block = into.subarray(0, f.bytes.length);
    }
    this.kept.set(f.index, block);
    if (this.kept.size > FRAGMENT_CACHE) {
      const [index, old] = this.kept.entries().next().value as [number, Uint8Array];
      this.kept.delete(index);
      if (old.buffer.byteLength === blockSize && old.buffer instanceof ArrayBuffer)
        this.spare = new Uint8Array(old.buffer);
    }
    return block;
  }
}

/**
 * A stored file decoded into one buffer of its size, each block checked as `FileData.read` checks it; into the
 * start of `scratch` when it is large enough (a caller that reads one file after another makes one buffer).
 * `fragments` keeps decoded fragment blocks for the next files of the same image, which share them.
 */
export function assembleFile(
  file: StoredFile,
  decode: BlockCodec,
  scratch?: Uint8Array,
  fragments: FragmentBlocks = new FragmentBlocks(),
): Uint8Array {
  const out =
    scratch !== undefined && scratch.length >= file.size ? scratch.subarray(0, file.size) : new Uint8Array(file.size);
  const bs = file.blockSize;
  for (const [k, block] of file.blocks.entries()) {
    const want = Math.min(bs, file.size - k * bs);
    const what = `data block ${k} of a file`;
    // Decoded in place, where the decoder can: no block-sized buffer to make and copy.
    const place = out.subarray(k * bs, k * bs + want);
    if (block.bytes === undefined) {
      place.fill(0); // sparse
      continue;
    }
    const data = block.compressed ? decode(block.bytes, bs, block.at, what, place) : block.bytes;
    if (data.length !== want)
      throw new FormatError(file.name, block.at, what, `${want} bytes decoded`, `${data.length}`);
    if (data.buffer !== out.buffer) place.set(data);
  }
  const f = file.fragment;
  const tailStart = file.blocks.length * bs;
  if (f === undefined || file.size <= tailStart) return out;
  const block = fragments.decoded(f, bs, decode, `fragment block ${f.index}`);
  out.set(tailIn(block, f.index, f.offset, file.size - tailStart, file.name, f.at), tailStart);
  return out;
}

/** A file's tail, `length` bytes at `offset` of its decoded fragment block `index`; past its end is an error at `at`. */
function tailIn(block: Uint8Array, index: number, offset: number, length: number, name: string, at: number) {
  if (offset + length > block.length) {
    throw new FormatError(
      name,
      at,
      "file inode fragment offset",
      `${length} bytes inside fragment block ${index} of ${block.length}`,
      `offset ${offset}`,
    );
  }
  return block.subarray(offset, offset + length);
}
