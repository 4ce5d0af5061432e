import { Decompress } from "fzstd";
import { FormatError, LimitError } from "../../io/errors.js";
import { hexBytes, Input, type Position } from "./input.js";

/**
 * zstd decoders: the native libzstd binding (zstd-napi, several times faster) when it is installed and
 * loads, else fzstd, pure JavaScript, slow with large windows but always there. Both are fed one unit of the
 * stream at a time (frame header, block, checksum), walked here from the framing (RFC 8878), so that no call
 * makes more than one block (128 KiB) of output and an error names the block it is in.
 */
type Native = typeof import("zstd-napi/binding.js");
type DCtx = InstanceType<Native["DCtx"]>;

let native: Native | undefined | null = null;

export async function loadNativeZstd(): Promise<Native | undefined> {
  if (native === null) {
    try {
      // A CommonJS module whose exports are assigned whole: Node offers them only as the default export.
      native = ((await import("zstd-napi/binding.js")) as unknown as { default: Native }).default;
    } catch {
      native = undefined;
    }
  }
  return native;
}

/** Which decoder `zstdStream` will use: `native` or `fzstd`. */
export async function zstdBackend(): Promise<"native" | "fzstd"> {
  return (await loadNativeZstd()) ? "native" : "fzstd";
}

const MAGIC = 0xfd2fb528;
/** Block_Maximum_Size: no block holds or makes more. */
const BLOCK_MAX = 128 << 10;
/** libzstd's default window limit for streams (ZSTD_WINDOWLOG_LIMIT_DEFAULT): fzstd would allocate up to 2 GiB. */
const WINDOW_MAX = 1 << 27;

const u32 = (b: Uint8Array, o = 0) => new DataView(b.buffer, b.byteOffset, b.length).getUint32(o, true);

interface FrameHeader {
  readonly size: number;
  readonly window: number;
  readonly contentSize?: number;
  readonly checksum: boolean;
}

/** Frame_Header_Descriptor byte: how long the header is. */
function headerSize(fhd: number): number {
  const single = (fhd >> 5) & 1;
  return 5 + (single ? 0 : 1) + ([0, 1, 2, 4][fhd & 3] as number) + ([single, 2, 4, 8][fhd >> 6] as number);
}

/** The frame header at the start of `h` (which holds at least `headerSize` bytes), its window within the limit. */
function frameHeader(h: Uint8Array, name: string, at: number): FrameHeader {
  const fhd = h[4] as number;
  const single = (fhd >> 5) & 1;
  let pos = 5 + (single ? 0 : 1) + ([0, 1, 2, 4][fhd & 3] as number);
  let contentSize: number | undefined;
  switch (fhd >> 6) {
    case 0:
      contentSize = single ? h[pos] : undefined;
      break;
    case 1:
      contentSize = (h[pos] as number) + ((h[pos + 1] as number) << 8) + 256;
      break;
    case 2:
      contentSize = u32(h, pos);
      break;
    default:
      contentSize = u32(h, pos) + u32(h, pos + 4) * 2 ** 32;
  }
  pos += [single, 2, 4, 8][fhd >> 6] as number;
  let window = contentSize ?? 0;
  if (!single) {
    const wd = h[5] as number;
    const base = 2 ** (10 + (wd >> 3));
    window = base + (base / 8) * (wd & 7);
  }
  if (window > WINDOW_MAX) throw new LimitError(name, at, "zstd window", WINDOW_MAX, window);
  return { size: pos, window, contentSize, checksum: ((fhd >> 2) & 1) === 1 };
}

interface Unit {
  readonly at: number;
  readonly what: string;
  readonly bytes: Uint8Array;
}

/** The stream in decodable units; skippable frames are passed over. */
async function* units(input: Input): AsyncGenerator<Unit> {
  const name = input.name;
  while (await input.has(1)) {
    const at = input.offset;
    const magic = u32(await input.peek(4, "zstd frame magic"));
    if (magic >>> 4 === 0x184d2a5) {
      const size = u32(await input.take(8, "zstd skippable frame header"), 4);
      await input.skip(size, "zstd skippable frame", at);
      continue;
    }
    if (magic !== MAGIC) {
      throw new FormatError(name, at, "zstd frame", "magic 28 b5 2f fd", hexBytes(await input.peek(4, "zstd frame")));
    }
    const fhd = (await input.peek(5, "zstd frame header"))[4] as number;
    const bytes = await input.take(headerSize(fhd), "zstd frame header");
    const header = frameHeader(bytes, name, at);
    yield { at, what: "zstd frame header", bytes };
    for (;;) {
      const b = input.offset;
      const h = await input.peek(3, "zstd block header");
      const v = (h[0] as number) | ((h[1] as number) << 8) | ((h[2] as number) << 16);
      const type = (v >> 1) & 3;
      if (type === 3) throw new FormatError(name, b, "zstd block header", "block type 0, 1 or 2", "reserved type 3");
      const size = v >>> 3;
      if (size > BLOCK_MAX) {
        throw new FormatError(name, b, "zstd block header", `a block size of at most ${BLOCK_MAX}`, String(size));
      }
      yield { at: b, what: "zstd block", bytes: await input.take(3 + (type === 1 ? 1 : size), "zstd block") };
      if (v & 1) break;
    }
    if (header.checksum) {
      const c = input.offset;
      yield { at: c, what: "zstd frame checksum", bytes: await input.take(4, "zstd frame checksum") };
    }
  }
}

interface Decoder {
  /** The output of one unit. */
  decode(bytes: Uint8Array): Iterable<Uint8Array>;
  /** What is left once the input has ended. */
  end(): Iterable<Uint8Array>;
}

/** libzstd through its streaming call, into buffers of one block each (one for all, with `reuse`). */
function nativeDecoder(n: Native, reuse: boolean): Decoder {
  const dctx = new n.DCtx();
  let dst = Buffer.allocUnsafe(BLOCK_MAX);
  return {
    *decode(bytes) {
      let src = bytes;
      for (;;) {
        const [, produced, consumed] = dctx.decompressStream(dst, src);
        src = src.subarray(consumed);
        const full = produced === dst.length;
        if (produced > 0) {
          yield dst.subarray(0, produced);
          if (!reuse) dst = Buffer.allocUnsafe(BLOCK_MAX);
        }
        if (src.length === 0 && !full) return;
      }
    },
    end: () => [],
  };
}

/** fzstd hands over each block as it decodes it; a unit holds at most one. */
function fzstdDecoder(): Decoder {
  let out: Uint8Array[] = [];
  const d = new Decompress((chunk) => {
    if (chunk.length > 0) out.push(chunk);
  });
  const drain = () => {
    const o = out;
    out = [];
    return o;
  };
  return {
    decode(bytes) {
      d.push(bytes);
      return drain();
    },
    end() {
      d.push(new Uint8Array(0), true);
      return drain();
    },
  };
}

/**
 * A zstd stream (frames back to back) decoded as it is read; `at` follows the unit being decoded. With
 * `reuse`, each output may be overwritten once the next is asked for.
 */
export async function* zstdStream(
  input: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  name: string,
  at: Position,
  backend?: "native" | "fzstd",
  reuse = false,
): AsyncGenerator<Uint8Array> {
  const n = backend === "fzstd" ? undefined : await loadNativeZstd();
  const decoder = n ? nativeDecoder(n, reuse) : fzstdDecoder();
  const src = new Input(input, name);
  const decoded = (what: string, run: () => Iterable<Uint8Array>): Iterable<Uint8Array> => {
    try {
      return Array.from(run());
    } catch (err) {
      throw new FormatError(name, at.offset, what, "valid zstd data", (err as Error).message);
    }
  };
  for await (const u of units(src)) {
    at.offset = u.at;
    yield* decoded(u.what, () => decoder.decode(u.bytes));
  }
  at.offset = src.offset;
  yield* decoded("end of the zstd stream", () => decoder.end());
}

/**
 * One decoder context for every block: each native context holds memory outside the JavaScript heap, which
 * the collector frees too late when thousands of SquashFS blocks each make their own.
 */
let blockCtx: DCtx | undefined;

/**
 * One zstd frame in memory, into at most `maxSize` bytes; the native decoder is loaded once by the first
 * stream or `loadNativeZstd`. With `into`, the native decoder writes there (no buffer of its own), and the
 * result is a view of it.
 */
export function zstdBlock(bytes: Uint8Array, maxSize: number, name: string, into?: Uint8Array): Uint8Array {
  if (bytes.length < 5 || u32(bytes) !== MAGIC || bytes.length < headerSize(bytes[4] as number)) {
    throw new FormatError(name, 0, "zstd block", "a zstd frame header");
  }
  const header = frameHeader(bytes, name, 0);
  if (header.contentSize !== undefined && header.contentSize > maxSize) {
    throw new LimitError(name, 0, "zstd block", maxSize, header.contentSize);
  }
  if (native) {
    blockCtx ??= new native.DCtx();
    blockCtx.reset(native.ResetDirective.sessionOnly);
    // One byte over the bound tells output that does not fit from output that just fits; decoded in place, a
    // frame that is not done when `into` is full makes more than it holds.
    const dst = into ?? Buffer.allocUnsafe((header.contentSize ?? maxSize) + 1);
    const [ret, produced, consumed] = blockCtx.decompressStream(dst, bytes);
    if (produced > maxSize) throw new LimitError(name, 0, "zstd block", maxSize, produced);
    if (ret !== 0 && into !== undefined && produced === into.length) {
      throw new FormatError(name, consumed, "zstd block", `at most ${into.length} bytes decoded`, "more");
    }
    if (ret !== 0) throw new FormatError(name, bytes.length, "zstd block", "the rest of the frame", "end of block");
    if (consumed !== bytes.length) {
      throw new FormatError(name, consumed, "zstd block", "the end of the block after its frame", "more data");
    }
    return dst.subarray(0, produced);
  }
  const parts: Uint8Array[] = [];
  let total = 0;
  new Decompress((chunk) => {
    total += chunk.length;
    if (total > maxSize) throw new LimitError(name, 0, "zstd block", maxSize, total);
    parts.push(chunk);
  }).push(bytes, true);
  return parts.length === 1 ? (parts[0] as Uint8Array) : Buffer.concat(parts);
}
