import { Readable, type Transform } from "node:stream";
import { createGunzip, inflateSync } from "node:zlib";
import { decompressBlock as lz4jsBlock } from "lz4js";
import { createUnxz, parseFileIndex, unxzSync } from "node-liblzma";
import { FormatError, LimitError } from "../../errors.js";
import { lz4Buffer } from "./lz4.js";
import { type Compression, SUPPORTED } from "./magic.js";
import { zstdBlock, zstdTransform } from "./zstd.js";

export { lz4Backend } from "./lz4.js";
export { type Compression, sniff } from "./magic.js";
export { loadNativeZstd, zstdBackend } from "./zstd.js";

export interface DecompressOptions {
  /** What to call the input in errors. */
  readonly name: string;
  /** Refuse to produce more than this many bytes (a decompression bomb). */
  readonly maxOutput?: number;
  /** zstd only: force the pure-JavaScript decoder. */
  readonly zstd?: "native" | "fzstd";
  /** lz4 only: force the pure-JavaScript decoder. */
  readonly lz4?: "native" | "lz4js";
}

function unsupported(kind: Compression, name: string): FormatError {
  return new FormatError(name, 0, "compressed data", "gzip, zstd, xz or lz4", `unsupported compression ${kind}`);
}

async function transformFor(kind: Compression, opts: DecompressOptions): Promise<Transform | undefined> {
  switch (kind) {
    case "gzip":
      return createGunzip();
    case "zstd":
      return zstdTransform(opts.zstd);
    case "xz":
      return createUnxz() as unknown as Transform;
    default:
      return undefined;
  }
}

/**
 * Decodes a compressed stream; members of the same format back to back (gzip members, zstd frames, xz
 * streams) are decoded one after the other. Corrupt input is a FormatError that names the input and how far
 * into it the decoder got; output beyond `maxOutput` is a LimitError.
 */
export async function* decompressStream(
  kind: Compression,
  input: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  opts: DecompressOptions,
): AsyncGenerator<Uint8Array> {
  if (!SUPPORTED.has(kind)) throw unsupported(kind, opts.name);
  const max = opts.maxOutput ?? Number.POSITIVE_INFINITY;
  let consumed = 0;
  let produced = 0;
  // liblzma's stream decoder ends quietly on a truncated input; an xz stream must end with its footer magic.
  let tail = new Uint8Array(0);
  const counted = (async function* () {
    for await (const chunk of input) {
      consumed += chunk.length;
      if (chunk.length > 0) tail = Buffer.concat([tail, chunk]).subarray(-64);
      yield chunk;
    }
  })();
  const limit = (chunk: Uint8Array) => {
    produced += chunk.length;
    if (produced > max) throw new LimitError(opts.name, consumed, `${kind} output`, max, produced);
  };
  const t = await transformFor(kind, opts);
  if (t === undefined) {
    // lz4: the kernel's legacy format and frames, decoded in memory (bounded by maxOutput).
    const parts: Uint8Array[] = [];
    for await (const c of counted) parts.push(c);
    const out = lz4Buffer(kind as "lz4-frame" | "lz4-legacy", Buffer.concat(parts), opts.name, max, opts.lz4);
    limit(out);
    yield out;
    return;
  }
  const src = Readable.from(counted);
  src.on("error", (err) => t.destroy(err));
  try {
    for await (const chunk of src.pipe(t) as AsyncIterable<Uint8Array>) {
      limit(chunk);
      yield chunk;
    }
    if (kind === "xz" && !endsWithXzFooter(tail)) {
      throw new FormatError(opts.name, consumed, "xz stream footer", "`YZ` at the end of the stream", "end of input");
    }
  } catch (err) {
    if (err instanceof FormatError || err instanceof LimitError) throw err;
    throw new FormatError(opts.name, consumed, `${kind} stream`, `valid ${kind} data`, (err as Error).message);
  } finally {
    src.destroy();
    t.destroy();
  }
}

/** After the last stream only NUL padding may follow the footer, whose last two bytes are `YZ`. */
function endsWithXzFooter(tail: Uint8Array): boolean {
  let end = tail.length;
  while (end > 0 && tail[end - 1] === 0) end--;
  return end >= 2 && tail[end - 2] === 0x59 && tail[end - 1] === 0x5a;
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
 * at most `maxSize` bytes.
 */
export function decompressBlock(kind: Compression, bytes: Uint8Array, maxSize: number, name: string): Uint8Array {
  let out: Uint8Array;
  try {
    switch (kind) {
      case "zstd":
        out = zstdBlock(bytes);
        break;
      case "xz": {
        const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
        // liblzma's one-shot decoder has no output bound: the index states the size before anything is decoded.
        const declared = parseFileIndex(buf).uncompressedSize;
        if (declared > maxSize) throw new LimitError(name, 0, "xz block", maxSize, declared);
        out = unxzSync(buf);
        break;
      }
      case "gzip":
        out = inflateSync(bytes, { maxOutputLength: maxSize });
        break;
      case "lz4-frame":
      case "lz4-legacy": {
        const dst = new Uint8Array(maxSize);
        const n = lz4jsBlock(bytes, dst, 0, bytes.length, 0);
        if (n < 0) throw new Error("corrupt lz4 block");
        // lz4js counts on past the end of `dst` (typed arrays drop those writes): a count over it is too much output.
        if (n > maxSize) throw new LimitError(name, 0, "lz4 block", maxSize, n);
        out = dst.subarray(0, n);
        break;
      }
      default:
        throw unsupported(kind, name);
    }
  } catch (err) {
    if (err instanceof FormatError || err instanceof LimitError) throw err;
    throw new FormatError(name, 0, `${kind} block`, `valid ${kind} data`, (err as Error).message);
  }
  if (out.length > maxSize) throw new LimitError(name, 0, `${kind} block`, maxSize, out.length);
  return out;
}
