import { createHash } from "node:crypto";
import type { EncodePool } from "./encode-pool.js";
import { DATA_UNCOMPRESSED, type FragmentEntry, INVALID_FRAGMENT, SPARSE_BLOCK } from "./format.js";
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

/** Positional writes to the image being made. */
export type WriteAt = (bytes: Uint8Array, position: number) => Promise<void>;

/** Writes queued ahead of the one running: enough to keep every compressing thread busy, few enough to bound memory. */
const WINDOW = 32;

const isZero = (b: Uint8Array): boolean => {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
};

/**
 * Writes file contents as data blocks and packs small files into fragment blocks, as mksquashfs does by
 * default: a file shorter than a block is one fragment, a longer one is all blocks with a short last block
 * (no tail-end packing), an all-zero full block is sparse, and a file whose bytes were already written is
 * pointed at the first copy (its blocks written over).
 *
 * Blocks are compressed on the pool while files are read on; the writes happen in submission order, one at
 * a time, so every position is what a single thread would have written. At most WINDOW writes wait.
 */
export class DataWriter {
  readonly fragments: FragmentEntry[] = [];
  private readonly fragment: Uint8Array;
  private fragmentFill = 0;
  private readonly seen = new Map<string, Promise<FileData>>();
  /** One block being filled, reused for every file. */
  private readonly buf: Uint8Array;
  /** Writes in submission order; `position` is the next free byte once the chain has run. */
  private chain: Promise<void> = Promise.resolve();
  private readonly queued: Promise<void>[] = [];

  constructor(
    private readonly write: WriteAt,
    private readonly pool: EncodePool,
    private readonly blockSize: number,
    public position: number,
  ) {
    this.fragment = new Uint8Array(blockSize);
    this.buf = new Uint8Array(blockSize);
  }

  /** Runs `op` after every write queued before it; waits while the window is full. */
  private async queue(op: () => Promise<void> | void): Promise<void> {
    const step = this.chain.then(op);
    step.catch(() => undefined); // a failure is reported where the step is awaited, not as unhandled
    this.chain = step;
    this.queued.push(step);
    if (this.queued.length > WINDOW) await this.queued.shift();
  }

  /** Queues one block; `done` hears its size word once it is written. */
  private async block(bytes: Uint8Array, done: (sizeWord: number) => void): Promise<void> {
    const raw = bytes.slice();
    const packed = this.pool.encode(raw);
    packed.catch(() => undefined); // awaited below, in order; a failure surfaces there
    await this.queue(async () => {
      const out = (await packed) ?? raw;
      await this.write(out, this.position);
      this.position += out.length;
      done(out === raw ? raw.length | DATA_UNCOMPRESSED : out.length);
    });
  }

  private async flushFragment(): Promise<void> {
    if (this.fragmentFill === 0) return;
    const entry = { start: 0, size: 0 };
    this.fragments.push(entry);
    await this.queue(() => {
      entry.start = this.position;
    });
    await this.block(this.fragment.subarray(0, this.fragmentFill), (size) => {
      entry.size = size;
    });
    this.fragmentFill = 0;
  }

  /**
   * One file: `size` bytes from `body`, which must yield exactly that many. Returns once the file is read;
   * where it went (`data`) is known once the writes queued so far have run.
   */
  async file(
    source: string,
    path: string,
    size: number,
    body: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  ): Promise<{ readonly data: Promise<FileData> }> {
    const bs = this.blockSize;
    const hash = createHash("sha256");
    const blockSizes: number[] = [];
    const at = { start: 0 };
    await this.queue(() => {
      at.start = this.position;
    });
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
        const i = blockSizes.push(SPARSE_BLOCK) - 1;
        await this.block(b, (word) => {
          blockSizes[i] = word;
        });
      }
    };
    for await (const chunk of body) {
      total += chunk.length;
      if (total > size) throw new WriteInputError(source, path, `more than the ${size} bytes stated`);
      let from = 0;
      while (from < chunk.length) {
        const n = Math.min(chunk.length - from, bs - fill);
        buf.set(chunk.subarray(from, from + n), fill);
        fill += n;
        from += n;
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
      // The copy's blocks are written over by what follows.
      await this.queue(() => {
        this.position = at.start;
      });
      return { data: earlier };
    }
    let fragment = INVALID_FRAGMENT;
    let fragmentOffset = 0;
    if (tail !== undefined) {
      if (this.fragmentFill + tail.length > bs) await this.flushFragment();
      fragment = this.fragments.length;
      fragmentOffset = this.fragmentFill;
      this.fragment.set(tail, this.fragmentFill);
      this.fragmentFill += tail.length;
    }
    const data = this.chain.then(
      (): FileData => ({ blocksStart: at.start, blockSizes, fragment, fragmentOffset, sparse }),
    );
    data.catch(() => undefined); // the chain's failure is reported by finish()
    this.seen.set(key, data);
    return { data };
  }

  /** Writes the last, partly filled fragment block and waits for every queued write. */
  async finish(): Promise<void> {
    await this.flushFragment();
    await this.chain;
  }
}
