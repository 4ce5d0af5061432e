import { FormatError } from "../../io/errors.js";
import type { ByteSource } from "../../io/source.js";
import { DATA_SIZE_MASK, DATA_UNCOMPRESSED, FRAGMENT_ENTRY_SIZE, type FragmentEntry } from "./format.js";
import { LookupTable } from "./lookup-table.js";
import type { MetadataCache } from "./metadata.js";
import type { Superblock } from "./superblock.js";

/** A fragment entry's fields: u64 start, u32 size word, u32 unused. */
const FIELD = { start: 0, size: 8 } as const;

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
    const start = Number(v.getBigUint64(FIELD.start, true));
    const size = v.getUint32(FIELD.size, true);
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

/** The fragment table's entries, in fragment order. */
export function encodeFragmentEntries(fragments: readonly FragmentEntry[]): Uint8Array {
  const b = Buffer.alloc(fragments.length * FRAGMENT_ENTRY_SIZE);
  for (const [i, f] of fragments.entries()) {
    b.writeBigUInt64LE(BigInt(f.start), i * FRAGMENT_ENTRY_SIZE + FIELD.start);
    b.writeUInt32LE(f.size, i * FRAGMENT_ENTRY_SIZE + FIELD.size);
  }
  return b;
}
