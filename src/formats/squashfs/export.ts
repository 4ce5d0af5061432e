import { FormatError } from "../../io/errors.js";
import type { ByteSource } from "../../io/source.js";
import { EXPORT_ENTRY_SIZE } from "./format.js";
import { LookupTable } from "./lookup-table.js";
import type { MetadataCache } from "./metadata.js";
import type { Superblock } from "./superblock.js";

/** The export table (NFS lookup): inode number − 1 → inode reference. Present when mksquashfs ran with exports. */
export class ExportTable {
  private constructor(
    private readonly src: ByteSource,
    private readonly table: LookupTable,
    private readonly at: number,
  ) {}

  static async open(src: ByteSource, cache: MetadataCache, sb: Superblock): Promise<ExportTable | undefined> {
    if (sb.exportTableStart === undefined) return undefined;
    const table = await LookupTable.open(
      src,
      cache,
      "export table",
      sb.exportTableStart,
      sb.inodeCount,
      EXPORT_ENTRY_SIZE,
      sb.directoryTableStart,
    );
    return new ExportTable(src, table, sb.exportTableStart);
  }

  /** Where the table's first block is. */
  get firstBlock(): number | undefined {
    return this.table.firstBlock;
  }

  /** The reference of inode `number` (1 … inodes). */
  async ref(number: number): Promise<number> {
    if (number < 1 || number > this.table.count) {
      throw new FormatError(
        this.src.name,
        this.at,
        "export table lookup",
        `an inode number from 1 to ${this.table.count}`,
        `${number}`,
      );
    }
    const ref = (await this.table.entry(number - 1)).getBigUint64(0, true);
    if (ref > 0xffff_ffff_ffffn) {
      throw new FormatError(
        this.src.name,
        this.at,
        `export table entry ${number - 1}`,
        "a 48-bit inode reference",
        `${ref}`,
      );
    }
    return Number(ref);
  }
}

/** The export table's entries: the inode reference of each inode number, from 1. */
export function encodeExportEntries(refs: readonly number[]): Uint8Array {
  const b = Buffer.alloc(refs.length * EXPORT_ENTRY_SIZE);
  for (const [i, ref] of refs.entries()) b.writeBigUInt64LE(BigInt(ref), i * EXPORT_ENTRY_SIZE);
  return b;
}
