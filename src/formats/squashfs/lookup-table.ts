import { FormatError } from "../../io/errors.js";
import type { ByteSource } from "../../io/source.js";
import type { BlockEncoder } from "./encode.js";
import { METADATA_SIZE, TABLE_INDEX_ENTRY_SIZE, tableIndexCount } from "./format.js";
import { type MetadataCache, MetadataWriter } from "./metadata.js";

/**
 * A lookup table (ids, fragments, export, xattr ids): fixed-size entries packed in metadata blocks, found
 * through a u64 array of the blocks' absolute positions stored after them. Blocks are decoded on first use.
 */
export class LookupTable {
  private constructor(
    private readonly cache: MetadataCache,
    private readonly file: string,
    private readonly what: string,
    private readonly blocks: readonly number[],
    private readonly indexStart: number,
    readonly count: number,
    private readonly entrySize: number,
  ) {}

  /**
   * Reads the index at `indexStart`; its blocks must lie after `after` (the table before them) and before
   * the index itself. The index length follows from `count`, and reading it bounds `count` by the image.
   */
  static async open(
    src: ByteSource,
    cache: MetadataCache,
    what: string,
    indexStart: number,
    count: number,
    entrySize: number,
    after: number,
  ): Promise<LookupTable> {
    const n = tableIndexCount(count, entrySize);
    if (indexStart + n * TABLE_INDEX_ENTRY_SIZE > src.size) {
      throw new FormatError(
        src.name,
        indexStart,
        `${what} index`,
        `${n} block positions inside the image`,
        `${count} entries`,
      );
    }
    const raw = await src.read(indexStart, n * TABLE_INDEX_ENTRY_SIZE, `${what} index`);
    const v = new DataView(raw.buffer, raw.byteOffset, raw.length);
    const blocks: number[] = [];
    let min = after;
    for (let i = 0; i < n; i++) {
      const at = v.getBigUint64(i * 8, true);
      if (at < BigInt(min) || at >= BigInt(indexStart)) {
        throw new FormatError(
          src.name,
          indexStart + i * 8,
          `${what} index entry ${i}`,
          `a block position from ${min} to below the index at ${indexStart}`,
          `${at}`,
        );
      }
      blocks.push(Number(at));
      min = Number(at) + 3;
    }
    return new LookupTable(cache, src.name, what, blocks, indexStart, count, entrySize);
  }

  /** Where the table's first block is (the end of whatever precedes it), if it has entries. */
  get firstBlock(): number | undefined {
    return this.blocks[0];
  }

  /** Entry `i` (below `count`) as a view of its bytes. */
  async entry(i: number): Promise<DataView> {
    const perBlock = METADATA_SIZE / this.entrySize;
    const b = Math.floor(i / perBlock);
    const at = this.blocks[b];
    if (at === undefined || i < 0 || i >= this.count) {
      throw new FormatError(this.file, this.indexStart, this.what, `an index below ${this.count}`, `${i}`);
    }
    const { data } = await this.cache.block(at, { name: this.what, start: at, end: this.indexStart });
    const o = (i % perBlock) * this.entrySize;
    // Every block but the last is full; the last holds the remaining entries.
    const need = Math.min(perBlock, this.count - b * perBlock) * this.entrySize;
    if (data.length < need) {
      throw new FormatError(this.file, at, this.what, `${need} bytes of entries`, `${data.length}`);
    }
    return new DataView(data.buffer, data.byteOffset + o, this.entrySize);
  }
}

/**
 * A lookup table to be written at `start`: its entries in metadata blocks, and the u64 positions of those
 * blocks (the index, which the superblock points at; the xattr id table puts a header before it).
 */
export function encodeLookupTable(
  encode: BlockEncoder,
  entries: Uint8Array,
  start: number,
): { blocks: Uint8Array[]; index: Uint8Array } {
  const m = new MetadataWriter(encode);
  m.append(entries);
  const blocks = m.finish();
  const index = Buffer.alloc(m.blockStarts.length * TABLE_INDEX_ENTRY_SIZE);
  for (const [i, b] of m.blockStarts.entries()) index.writeBigUInt64LE(BigInt(start + b), i * TABLE_INDEX_ENTRY_SIZE);
  return { blocks, index };
}
