import { FormatError } from "../../io/errors.js";
import type { ByteSource } from "../../io/source.js";
import type { BlockCodec } from "./codec.js";
import type { BlockEncoder } from "./encode.js";
import {
  METADATA_HEADER_SIZE,
  METADATA_LENGTH_MASK,
  METADATA_SIZE,
  METADATA_UNCOMPRESSED,
  metadataRef,
  refBlock,
  refOffset,
} from "./format.js";

/** Where one metadata table lies: its blocks start at `start` and none may reach past `end`. */
export interface Region {
  readonly name: string;
  readonly start: number;
  readonly end: number;
}

interface Block {
  readonly data: Uint8Array;
  /** Position of the block that follows: tables are runs of contiguous blocks. */
  readonly next: number;
}

/**
 * Decoded metadata blocks by absolute position. Every table of an image shares it, so a walk decodes each
 * block once. Past `budget` decoded bytes the least recently used blocks are dropped, which bounds memory
 * on a hostile image whose tiny blocks each inflate to 8 KiB.
 */
export class MetadataCache {
  private readonly blocks = new Map<number, Block>();
  private held = 0;

  constructor(
    private readonly src: ByteSource,
    private readonly decode: BlockCodec,
    private readonly budget = 64 << 20,
  ) {}

  /** The image's name, for errors. */
  get file(): string {
    return this.src.name;
  }

  async block(at: number, region: Region): Promise<Block> {
    const what = `${region.name} metadata block`;
    if (at < region.start || at + METADATA_HEADER_SIZE > region.end) {
      // A reference from a damaged record: name the table it should point into.
      throw new FormatError(
        this.src.name,
        region.start,
        what,
        `a block between ${region.start} and ${region.end}`,
        `one at ${at}`,
      );
    }
    const hit = this.blocks.get(at);
    if (hit !== undefined) {
      this.blocks.delete(at);
      this.blocks.set(at, hit);
      return hit;
    }
    // One read for the header and the longest payload that fits in the region.
    const raw = await this.src.read(at, Math.min(METADATA_HEADER_SIZE + METADATA_SIZE, region.end - at), what);
    const word = new DataView(raw.buffer, raw.byteOffset, 2).getUint16(0, true);
    const stored = word & METADATA_LENGTH_MASK;
    if (stored === 0 || stored > METADATA_SIZE || METADATA_HEADER_SIZE + stored > raw.length) {
      throw new FormatError(
        this.src.name,
        at,
        what,
        `a stored length of 1 to ${Math.min(METADATA_SIZE, raw.length - METADATA_HEADER_SIZE)}`,
        `${stored}`,
      );
    }
    const payload = raw.subarray(METADATA_HEADER_SIZE, METADATA_HEADER_SIZE + stored);
    // Copy a stored block out of the read buffer so the cache does not pin the whole read.
    const data = word & METADATA_UNCOMPRESSED ? payload.slice() : this.decode(payload, METADATA_SIZE, at, what);
    const block = { data, next: at + METADATA_HEADER_SIZE + stored };
    this.blocks.set(at, block);
    this.held += data.length;
    for (const [k, b] of this.blocks) {
      if (this.held <= this.budget) break;
      this.blocks.delete(k);
      this.held -= b.data.length;
    }
    return block;
  }

  /** A reader of records from `ref` (block position from the region start << 16 | offset in the block). */
  cursor(region: Region, ref: number, what: string): MetadataCursor {
    return new MetadataCursor(this, region, region.start + refBlock(ref), refOffset(ref), what);
  }
}

/** Reads records that may straddle metadata blocks, moving on to the next block of the table as needed. */
export class MetadataCursor {
  private data: Uint8Array | undefined;
  private blockAt: number;
  private nextAt: number;

  constructor(
    private readonly cache: MetadataCache,
    private readonly region: Region,
    at: number,
    private pos: number,
    private readonly what: string,
  ) {
    this.blockAt = at;
    this.nextAt = at;
  }

  /** Where the cursor is, for error messages: the block's absolute position and the offset inside it. */
  get at(): { block: number; offset: number } {
    return { block: this.blockAt, offset: this.pos };
  }

  /** A FormatError at the cursor's current block. */
  error(expected: string, found?: string): FormatError {
    // Before its first block is loaded the cursor's position is only a claim: name the table instead.
    const at = this.data === undefined ? this.region.start : this.blockAt;
    return new FormatError(this.cache.file, at, `${this.what} (+${this.pos} in block)`, expected, found);
  }

  private async load(): Promise<Uint8Array> {
    // Records run on into the next block only from a full one: every block of a table but its last is.
    if (this.data !== undefined && this.data.length !== METADATA_SIZE) {
      throw this.error(`a full ${METADATA_SIZE}-byte block before the next`, `${this.data.length} bytes`);
    }
    const b = await this.cache.block(this.nextAt, this.region);
    this.blockAt = this.nextAt;
    this.nextAt = b.next;
    this.data = b.data;
    return b.data;
  }

  /** `n` bytes from the block at hand without waiting, or undefined when they are not all in it. */
  take(n: number): Uint8Array | undefined {
    const data = this.data;
    if (data === undefined || this.pos + n > data.length) return undefined;
    this.pos += n;
    return data.subarray(this.pos - n, this.pos);
  }

  /** `n` bytes; a view into the cached block when they lie in one block, else a copy. */
  async bytes(n: number): Promise<Uint8Array> {
    let data = this.data ?? (await this.load());
    if (this.pos > data.length) throw this.error(`an offset within the block's ${data.length} bytes`, `${this.pos}`);
    if (this.pos === data.length && n > 0) {
      data = await this.load();
      this.pos = 0;
    }
    if (this.pos + n <= data.length) {
      this.pos += n;
      return data.subarray(this.pos - n, this.pos);
    }
    const out = new Uint8Array(n);
    let got = 0;
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
    const b = this.take(n) ?? (await this.bytes(n));
    return new DataView(b.buffer, b.byteOffset, b.length);
  }

  async u32(): Promise<number> {
    return (await this.view(4)).getUint32(0, true);
  }
}

/**
 * One metadata table being written: records appended in order, chopped into 8 KiB blocks, each stored behind
 * its u16 header, compressed unless that does not make it smaller. References to a record are known as soon as
 * it is appended, so later records (a directory's inode, a run header) can point at earlier ones.
 */
export class MetadataWriter {
  private readonly blocks: Uint8Array[] = [];
  /** Bytes of finished blocks, headers included: the position of the block being filled. */
  private stored = 0;
  private readonly pending = new Uint8Array(METADATA_SIZE);
  private fill = 0;
  /** Positions (from the table start) of every finished block, for the lookup tables' indexes. */
  readonly blockStarts: number[] = [];

  /** Without an encoder every block is stored as is. */
  constructor(private readonly encode: BlockEncoder | undefined) {}

  /** The reference the next appended byte will have. */
  get ref(): number {
    return metadataRef(this.stored, this.fill);
  }

  /** Block position (from the table start) and offset of the next byte, apart. */
  get position(): { block: number; offset: number } {
    return { block: this.stored, offset: this.fill };
  }

  append(bytes: Uint8Array): number {
    const ref = this.ref;
    let at = 0;
    while (at < bytes.length) {
      const n = Math.min(bytes.length - at, METADATA_SIZE - this.fill);
      this.pending.set(bytes.subarray(at, at + n), this.fill);
      this.fill += n;
      at += n;
      if (this.fill === METADATA_SIZE) this.flush();
    }
    return ref;
  }

  private flush(): void {
    const raw = this.pending.slice(0, this.fill);
    const packed = this.encode?.(raw);
    const body = packed ?? raw;
    const block = new Uint8Array(2 + body.length);
    new DataView(block.buffer).setUint16(0, body.length | (packed ? 0 : METADATA_UNCOMPRESSED), true);
    block.set(body, 2);
    this.blockStarts.push(this.stored);
    this.blocks.push(block);
    this.stored += block.length;
    this.fill = 0;
  }

  /** The table's bytes, the partly filled last block included; the writer is done after this. */
  finish(): Uint8Array[] {
    if (this.fill > 0) this.flush();
    return this.blocks;
  }

  /** Stored length once finished. */
  get length(): number {
    return this.stored;
  }
}
