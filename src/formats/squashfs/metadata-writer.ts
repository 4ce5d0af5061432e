import type { BlockEncoder } from "./encode.js";
import { METADATA_SIZE, METADATA_UNCOMPRESSED, metadataRef } from "./format.js";

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
