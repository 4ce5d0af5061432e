import {
  LZMA_BUF_ERROR,
  LZMA_DATA_ERROR,
  LZMA_FINISH,
  LZMA_FORMAT_ERROR,
  LZMA_MEM_ERROR,
  LZMA_OK,
  LZMA_OPTIONS_ERROR,
  LZMA_RUN,
  LZMA_STREAM_END,
  type NativeLZMA,
  Unxz,
} from "node-liblzma";
import { FormatError, LimitError } from "../../io/errors.js";
import type { Position } from "./input.js";

/** Output buffer per call: liblzma returns when it is full, so no call makes more. */
const OUT = 1 << 17;

const MESSAGES = new Map([
  [LZMA_FORMAT_ERROR, "not xz data"],
  [LZMA_OPTIONS_ERROR, "unsupported xz options"],
  [LZMA_DATA_ERROR, "corrupt data"],
  [LZMA_MEM_ERROR, "not enough memory"],
]);

/**
 * node-liblzma's decoder (liblzma's stream decoder, concatenated streams) called directly: its Transform
 * pushes all the output of an input chunk at once, which for a decompression bomb is gigabytes.
 */
class Engine extends Unxz {
  private readonly native = (this as unknown as { lzma: NativeLZMA }).lzma;
  private readonly empty = Buffer.alloc(0);
  /** Input offset of the start of `chunk` below. */
  private base = 0;

  /** The one output buffer, when each output may be overwritten by the next. */
  private reused: Buffer | undefined;

  constructor(
    private readonly name: string,
    private readonly at: Position,
    private readonly reuse = false,
  ) {
    super();
  }

  /** Output of `chunk` (all of it consumed), or with `finish` of the end of the input, one buffer at a time. */
  *code(chunk: Buffer, finish: boolean): Generator<Uint8Array> {
    let off = 0;
    for (;;) {
      if (this.reuse) this.reused ??= Buffer.allocUnsafe(OUT);
      const out = this.reused ?? Buffer.allocUnsafe(OUT);
      const [ret, availIn, availOut] = this.native.codeSync(
        finish ? LZMA_FINISH : LZMA_RUN,
        chunk,
        off,
        chunk.length - off,
        out,
        0,
      );
      off = chunk.length - availIn;
      this.at.offset = this.base + off;
      if (ret !== LZMA_OK && ret !== LZMA_STREAM_END) {
        // Whether the input ended too soon is known only when the decoder is told it has ended.
        if (ret === LZMA_BUF_ERROR) {
          const found = `end of input at ${this.at.offset}`;
          throw new FormatError(this.name, this.at.offset, "xz stream", "the rest of the stream", found);
        }
        const found = MESSAGES.get(ret) ?? `liblzma error ${ret}`;
        throw new FormatError(this.name, this.at.offset, "xz stream", "valid xz data", found);
      }
      if (availOut < OUT) yield out.subarray(0, OUT - availOut);
      if (ret === LZMA_STREAM_END || (!finish && off === chunk.length && availOut > 0)) break;
    }
    this.base += chunk.length;
  }

  finish(): Generator<Uint8Array> {
    return this.code(this.empty, true);
  }
}

const asBuffer = (b: Uint8Array) => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.length));

/**
 * An xz stream (streams back to back, with their padding) decoded as it is read; with `reuse`, each output is
 * valid only until the next is asked for (one buffer for all, for a caller that copies them at once).
 */
export async function* xzStream(
  input: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  name: string,
  at: Position,
  reuse = false,
): AsyncGenerator<Uint8Array> {
  const engine = new Engine(name, at, reuse);
  try {
    for await (const chunk of input) yield* engine.code(asBuffer(chunk), false);
    yield* engine.finish();
  } finally {
    engine.close();
  }
}

/** One xz stream in memory (a SquashFS block), into at most `maxSize` bytes. */
export function xzBlock(bytes: Uint8Array, maxSize: number, name: string): Uint8Array {
  const engine = new Engine(name, { offset: 0 });
  const parts: Uint8Array[] = [];
  let total = 0;
  try {
    for (const output of [engine.code(asBuffer(bytes), false), engine.finish()]) {
      for (const part of output) {
        total += part.length;
        if (total > maxSize) throw new LimitError(name, 0, "xz block", maxSize, total);
        parts.push(part);
      }
    }
  } finally {
    engine.close();
  }
  return Buffer.concat(parts);
}
