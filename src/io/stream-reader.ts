import { FormatError } from "./errors.js";

/**
 * Exact-length reads over a chunked stream, tracking the absolute offset so parse errors can name it.
 * Chunks are sliced, never concatenated beyond the bytes one read asks for.
 */
export class StreamReader {
  private readonly it: AsyncIterator<Uint8Array> | Iterator<Uint8Array>;
  private chunk: Uint8Array = new Uint8Array(0);
  private pos = 0;
  /** Bytes consumed so far. */
  offset = 0;

  constructor(
    input: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    readonly name: string,
    /** The input's length when known (a ByteSource streamed), for checking a length field before reading. */
    readonly size?: number,
  ) {
    this.it = Symbol.asyncIterator in input ? input[Symbol.asyncIterator]() : input[Symbol.iterator]();
  }

  private async fill(): Promise<boolean> {
    while (this.pos >= this.chunk.length) {
      const r = await this.it.next();
      if (r.done) return false;
      this.chunk = r.value;
      this.pos = 0;
    }
    return true;
  }

  /** Puts back bytes just read, so the next read returns them first. */
  unread(bytes: Uint8Array): void {
    this.chunk = Buffer.concat([bytes, this.chunk.subarray(this.pos)]);
    this.pos = 0;
    this.offset -= bytes.length;
  }

  /** Up to `max` bytes (at least one), or undefined at the end of the stream. */
  async readSome(max: number): Promise<Uint8Array | undefined> {
    if (!(await this.fill())) return undefined;
    const n = Math.min(max, this.chunk.length - this.pos);
    const out = this.chunk.subarray(this.pos, this.pos + n);
    this.pos += n;
    this.offset += n;
    return out;
  }

  /** Exactly `n` bytes, or undefined when the stream ends before the first byte; a partial read is an error. */
  async readExact(n: number, what: string): Promise<Uint8Array | undefined> {
    const first = await this.readSome(n);
    if (first === undefined || first.length === n) return first;
    const out = new Uint8Array(n);
    out.set(first);
    let got = first.length;
    while (got < n) {
      const more = await this.readSome(n - got);
      if (more === undefined) throw new FormatError(this.name, this.offset, what, `${n} bytes`, `only ${got}`);
      out.set(more, got);
      got += more.length;
    }
    return out;
  }

  /** Streams the next `n` bytes. */
  async *take(n: number, what: string): AsyncGenerator<Uint8Array> {
    let left = n;
    while (left > 0) {
      const part = await this.readSome(Math.min(left, 1 << 20));
      if (part === undefined) throw new FormatError(this.name, this.offset, what, `${left} more bytes`, "end of input");
      left -= part.length;
      yield part;
    }
  }

  async skip(n: number, what: string): Promise<void> {
    for await (const _ of this.take(n, what)) {
      // discarded
    }
  }
}
