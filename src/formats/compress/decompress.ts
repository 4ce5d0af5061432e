import { inflateSync } from "node:zlib";
import { FormatError, LimitError } from "../../io/errors.js";
import { gzipStream } from "./gzip.js";
import type { Position } from "./input.js";
import { lz4Block, lz4Stream } from "./lz4.js";
import { type Compression, SUPPORTED } from "./magic.js";
import { xzBlock, xzStream } from "./xz.js";
import { zstdBlock, zstdStream } from "./zstd.js";

export interface DecompressOptions {
  /** What to call the input in errors. */
  readonly name: string;
  /** Refuse to produce more than this many bytes (a decompression bomb). */
  readonly maxOutput?: number;
  /** zstd only: force the pure-JavaScript decoder. */
  readonly zstd?: "native" | "fzstd";
  /** lz4 only: force the pure-JavaScript decoder. */
  readonly lz4?: "native" | "js";
  /**
   * Each output is valid only until the next is asked for: xz and native zstd then decode into one buffer,
   * for a caller that copies each output at once (a kernel payload into its buffer).
   */
  readonly reuse?: boolean;
}

function unsupported(kind: Compression, name: string): FormatError {
  return new FormatError(name, 0, "compressed data", "gzip, zstd, xz or lz4", `unsupported compression ${kind}`);
}

function decoder(
  kind: Compression,
  input: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  opts: DecompressOptions,
  at: Position,
): AsyncGenerator<Uint8Array> {
  switch (kind) {
    case "gzip":
      return gzipStream(input, opts.name, at);
    case "zstd":
      return zstdStream(input, opts.name, at, opts.zstd, opts.reuse);
    case "xz":
      return xzStream(input, opts.name, at, opts.reuse);
    case "lz4-frame":
    case "lz4-legacy":
      return lz4Stream(kind, input, opts.name, at, opts.lz4);
    default:
      throw unsupported(kind, opts.name);
  }
}

/**
 * Decodes a compressed stream; members of the same format back to back (gzip members, zstd frames, xz
 * streams, lz4 frames) are decoded one after the other. Every decoder makes a bounded amount of output per
 * step and only when it is asked for more, so memory stays small whatever the ratio. Corrupt input is a
 * FormatError that names the input and where in it the fault was found; output beyond `maxOutput` is a
 * LimitError at the offset being decoded when it was passed.
 */
export async function* decompressStream(
  kind: Compression,
  input: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  opts: DecompressOptions,
): AsyncGenerator<Uint8Array> {
  if (!SUPPORTED.has(kind)) throw unsupported(kind, opts.name);
  const max = opts.maxOutput ?? Number.POSITIVE_INFINITY;
  const at: Position = { offset: 0 };
  let produced = 0;
  try {
    for await (const chunk of decoder(kind, input, opts, at)) {
      produced += chunk.length;
      if (produced > max) throw new LimitError(opts.name, at.offset, `${kind} output`, max, produced);
      yield chunk;
    }
  } catch (err) {
    if (err instanceof FormatError || err instanceof LimitError) throw err;
    throw new FormatError(opts.name, at.offset, `${kind} stream`, `valid ${kind} data`, (err as Error).message);
  }
}

/** The whole decoded stream in memory. */
export async function decompressBuffer(
  kind: Compression,
  bytes: Uint8Array,
  opts: DecompressOptions,
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of decompressStream(kind, [bytes], opts)) parts.push(c);
  return Buffer.concat(parts);
}

/**
 * One block as SquashFS stores it (zstd frame, xz stream, zlib stream, raw lz4 block), decoded in memory into
 * at most `maxSize` bytes; with `into`, into that buffer (at most its length), the result a view of it.
 */
export function decompressBlock(
  kind: Compression,
  bytes: Uint8Array,
  maxSize: number,
  name: string,
  into?: Uint8Array,
): Uint8Array {
  let out: Uint8Array;
  try {
    switch (kind) {
      case "zstd":
        // The one decoder that writes in place; the others' output is copied below.
        out = zstdBlock(bytes, maxSize, name, into);
        break;
      case "xz":
        out = xzBlock(bytes, maxSize, name);
        break;
      case "gzip":
        out = inflateSync(bytes, { maxOutputLength: maxSize });
        break;
      case "lz4-frame":
      case "lz4-legacy":
        out = lz4Block(bytes, maxSize, name);
        break;
      default:
        throw unsupported(kind, name);
    }
  } catch (err) {
    if (err instanceof FormatError || err instanceof LimitError) throw err;
    // zlib stops at `maxOutputLength` with this code.
    if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
      throw new LimitError(name, 0, `${kind} block`, maxSize, maxSize + 1);
    }
    throw new FormatError(name, 0, `${kind} block`, `valid ${kind} data`, (err as Error).message);
  }
  if (into === undefined || out.buffer === into.buffer) return out;
  if (out.length > into.length) {
    throw new FormatError(name, 0, `${kind} block`, `at most ${into.length} bytes decoded`, `${out.length}`);
  }
  into.set(out);
  return into.subarray(0, out.length);
}
