import { FormatError } from "../../io/errors.js";

/** Bytes as a hex dump shows them, for errors. */
export const hexBytes = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");

/** How far into its input a decoder has got: where the unit it is decoding starts, for errors and limits. */
export interface Position {
  offset: number;
}

/**
 * A compressed stream read as framed units (zstd blocks, lz4 blocks): bytes are pulled from the input only as
 * far as the next unit needs, and a unit that lies inside one input chunk is handed out without a copy.
 */
export class Input {
  private readonly it: AsyncIterator<Uint8Array> | Iterator<Uint8Array>;
  private readonly chunks: Uint8Array[] = [];
  private done = false;
  /** Bytes held. */
  private held = 0;
  /** Input offset of the first byte held. */
  offset = 0;

  constructor(
    input: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    readonly name: string,
  ) {
    this.it = Symbol.asyncIterator in input ? input[Symbol.asyncIterator]() : input[Symbol.iterator]();
  }

  /** Whether `n` more bytes are there, reading on as far as needed. */
  async has(n: number): Promise<boolean> {
    while (this.held < n && !this.done) {
      const r = await this.it.next();
      if (r.done) this.done = true;
      else if (r.value.length > 0) {
        this.chunks.push(r.value);
        this.held += r.value.length;
      }
    }
    return this.held >= n;
  }

  /** The next `n` bytes, left in place; a FormatError naming `what` if the input ends first. */
  async peek(n: number, what: string): Promise<Uint8Array> {
    if (!(await this.has(n))) {
      throw new FormatError(this.name, this.offset, what, `${n} bytes`, `end of input at ${this.end}`);
    }
    const first = this.chunks[0] as Uint8Array;
    if (first.length >= n) return first.subarray(0, n);
    const out = new Uint8Array(n);
    let k = 0;
    for (const c of this.chunks) {
      const m = Math.min(c.length, n - k);
      out.set(c.subarray(0, m), k);
      k += m;
      if (k === n) break;
    }
    return out;
  }

  /** The next `n` bytes, consumed. */
  async take(n: number, what: string): Promise<Uint8Array> {
    const out = await this.peek(n, what);
    this.drop(n);
    return out;
  }

  /** Passes over `n` bytes of `what` (which starts at `at`) without holding them all: a skippable frame may be large. */
  async skip(n: number, what: string, at: number): Promise<void> {
    while (n > 0) {
      if (!(await this.has(1))) {
        throw new FormatError(this.name, at, what, `${n} more bytes`, `end of input at ${this.end}`);
      }
      const k = Math.min(n, this.held);
      this.drop(k);
      n -= k;
    }
  }

  /** Where the bytes read in so far end: the end of the input once it has run out. */
  get end(): number {
    return this.offset + this.held;
  }

  private drop(n: number): void {
    this.held -= n;
    this.offset += n;
    while (n > 0) {
      const c = this.chunks[0] as Uint8Array;
      if (c.length <= n) {
        this.chunks.shift();
        n -= c.length;
      } else {
        this.chunks[0] = c.subarray(n);
        n = 0;
      }
    }
  }
}
