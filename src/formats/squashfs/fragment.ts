import { FormatError } from "../../io/errors.js";
import type { ByteSource } from "../../io/source.js";
import {
  DATA_SIZE_MASK,
  DATA_UNCOMPRESSED,
  FRAGMENT_ENTRY_SIZE,
  type FragmentEntry,
  type Superblock,
} from "./format.js";
import { LookupTable } from "./lookup-table.js";
import type { MetadataCache } from "./metadata.js";

/** The fragment table: where each fragment block (the packed tails of small files) is and how it is stored. */
export class FragmentTable {
  private constructor(
    private readonly src: ByteSource,
    private readonly sb: Superblock,
    private readonly table: LookupTable | undefined,
  ) {}

  static async open(src: ByteSource, cache: MetadataCache, sb: Superblock): Promise<FragmentTable> {
    const table =
      sb.fragmentCount === 0 || sb.fragmentTableStart === undefined
        ? undefined
        : await LookupTable.open(
            src,
            cache,
            "fragment table",
            sb.fragmentTableStart,
            sb.fragmentCount,
            FRAGMENT_ENTRY_SIZE,
            sb.directoryTableStart,
          );
    return new FragmentTable(src, sb, table);
  }

  /** Where the table's first block is, if there are fragments. */
  get firstBlock(): number | undefined {
    return this.table?.firstBlock;
  }

  /** Entry `i`, checked to describe a block of at most block_size bytes inside the data area. */
  async entry(i: number, at: number): Promise<FragmentEntry> {
    if (this.table === undefined || i >= this.table.count) {
      throw new FormatError(
        this.src.name,
        at,
        "file inode fragment",
        `an index below ${this.table?.count ?? 0}`,
        `${i}`,
      );
    }
    const v = await this.table.entry(i);
    const start = Number(v.getBigUint64(0, true));
    const size = v.getUint32(8, true);
    const stored = size & DATA_SIZE_MASK;
    if (
      (size & ~(DATA_SIZE_MASK | DATA_UNCOMPRESSED)) !== 0 ||
      stored === 0 ||
      stored > this.sb.blockSize ||
      start + stored > this.sb.bytesUsed
    ) {
      throw new FormatError(
        this.src.name,
        this.sb.fragmentTableStart ?? 0,
        `fragment table entry ${i}`,
        `a block of 1 to ${this.sb.blockSize} bytes inside the image`,
        `${stored} bytes at ${start}`,
      );
    }
    return { start, size };
  }
}
