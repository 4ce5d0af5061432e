import { createHash } from "node:crypto";
import type { BlockEncoder } from "./encode.js";
import { DATA_UNCOMPRESSED, INVALID_FRAGMENT, SPARSE_BLOCK } from "./format.js";
import { WriteInputError } from "./write-tree.js";

/** Where a file's bytes went. */
export interface FileData {
  readonly blocksStart: number;
  /** Size words, one per block (DATA_UNCOMPRESSED, SPARSE_BLOCK as on disk). */
  readonly blockSizes: readonly number[];
  readonly fragment: number;
  readonly fragmentOffset: number;
  /** Bytes that sparse blocks did not store. */
  readonly sparse: number;
}

export interface FragmentEntry {
  readonly start: number;
  readonly size: number;
}

/** Positional writes to the image being made. */
export type WriteAt = (bytes: Uint8Array, position: number) => Promise<void>;

const isZero = (b: Uint8Array): boolean => {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
};

/**
 * Writes file contents as data blocks and packs small files into fragment blocks, as mksquashfs does by
 * default: a file shorter than a block is one fragment, a longer one is all blocks with a short last block
 * (no tail-end packing), an all-zero full block is sparse, and a file whose bytes were already written is
 * pointed at the first copy (its blocks written over).
 */
export class DataWriter {
  readonly fragments: FragmentEntry[] = [];
  private readonly fragment: Uint8Array;
  private fragmentFill = 0;
  private readonly seen = new Map<string, FileData>();
  /** One block being filled, reused for every file. */
  private readonly buf: Uint8Array;

  constructor(
    private readonly write: WriteAt,
    private readonly encode: BlockEncoder,
    private readonly blockSize: number,
    /** Next free byte of the image. */
    public position: number,
  ) {
    this.fragment = new Uint8Array(blockSize);
    this.buf = new Uint8Array(blockSize);
  }

  private async block(raw: Uint8Array): Promise<number> {
    const packed = this.encode(raw);
    await this.write(packed ?? raw, this.position);
    this.position += (packed ?? raw).length;
    return packed ? packed.length : raw.length | DATA_UNCOMPRESSED;
  }

  private async flushFragment(): Promise<void> {
    if (this.fragmentFill === 0) return;
    const start = this.position;
    const size = await this.block(this.fragment.slice(0, this.fragmentFill));
    this.fragments.push({ start, size });
    this.fragmentFill = 0;
  }

  /** One file: `size` bytes from `body`, which must yield exactly that many. */
  async file(
    source: string,
    path: string,
    size: number,
    body: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  ): Promise<FileData> {
    const bs = this.blockSize;
    const start = this.position;
    const hash = createHash("sha256");
    const blockSizes: number[] = [];
    let sparse = 0;
    let tail: Uint8Array | undefined;
    const buf = this.buf;
    let fill = 0;
    let total = 0;
    const emit = async (b: Uint8Array): Promise<void> => {
      hash.update(b);
      if (size < bs) {
        tail = b.slice();
      } else if (b.length === bs && isZero(b)) {
        blockSizes.push(SPARSE_BLOCK);
        sparse += bs;
      } else {
        blockSizes.push(await this.block(b));
      }
    };
    for await (const chunk of body) {
      total += chunk.length;
      if (total > size) throw new WriteInputError(source, path, `more than the ${size} bytes stated`);
      let at = 0;
      while (at < chunk.length) {
        const n = Math.min(chunk.length - at, bs - fill);
        buf.set(chunk.subarray(at, at + n), fill);
        fill += n;
        at += n;
        if (fill === bs) {
          await emit(buf);
          fill = 0;
        }
      }
    }
    if (total !== size) throw new WriteInputError(source, path, `${total} bytes, not the ${size} stated`);
    if (fill > 0) await emit(buf.subarray(0, fill));

    const key = `${size}:${hash.digest("hex")}`;
    const earlier = this.seen.get(key);
    if (earlier !== undefined) {
      this.position = start; // the copy's blocks are written over by what follows
      return earlier;
    }
    let data: FileData = { blocksStart: start, blockSizes, fragment: INVALID_FRAGMENT, fragmentOffset: 0, sparse };
    if (tail !== undefined) {
      if (this.fragmentFill + tail.length > bs) await this.flushFragment();
      data = { ...data, fragment: this.fragments.length, fragmentOffset: this.fragmentFill };
      this.fragment.set(tail, this.fragmentFill);
      this.fragmentFill += tail.length;
    }
    this.seen.set(key, data);
    return data;
  }

  /** Writes the last, partly filled fragment block. */
  async finish(): Promise<void> {
    await this.flushFragment();
  }
}
