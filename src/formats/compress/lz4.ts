import { createRequire } from "node:module";
import { FormatError, LimitError } from "../../io/errors.js";
import { hexBytes, Input, type Position } from "./input.js";
import { decodeLz4Block, Lz4BlockError } from "./lz4-block.js";
import { LZ4_LEGACY_MAGIC } from "./magic.js";
import { Xxh32, xxh32 } from "./xxh32.js";

const require = createRequire(import.meta.url);

interface Native {
  uncompressSync(data: Uint8Array, dict?: Uint8Array): Buffer;
}

let native: Native | undefined | null = null;

/** lz4-napi when its platform package is installed, else undefined. */
function loadNative(): Native | undefined {
  if (native === null) {
    try {
      native = require("lz4-napi") as Native;
    } catch {
      native = undefined;
    }
  }
  return native;
}

/** Which decoder `lz4Stream` uses by default: `native` (lz4-napi) or `js` (ours). */
export function lz4Backend(): "native" | "js" {
  return loadNative() ? "native" : "js";
}

/**
 * One raw lz4 block into at most `max` bytes; with `history` (the output before it, for frames whose blocks
 * are linked) its matches may reach back into that.
 */
type BlockDecoder = (src: Uint8Array, max: number, history: Uint8Array | undefined) => Uint8Array;

/** lz4-napi reads the output size from a 4-byte prefix and takes it as a capacity: shorter output is fine. */
const nativeBlock =
  (n: Native): BlockDecoder =>
  (src, max, history) => {
    const prefixed = Buffer.allocUnsafe(4 + src.length);
    prefixed.writeUInt32LE(max, 0);
    prefixed.set(src, 4);
    return history ? n.uncompressSync(prefixed, history) : n.uncompressSync(prefixed);
  };

const jsBlock: BlockDecoder = (src, max, history) => {
  const h = history?.length ?? 0;
  const dst = new Uint8Array(h + max);
  if (history) dst.set(history);
  return dst.subarray(h, decodeLz4Block(src, dst, h));
};

/** One raw lz4 block (a SquashFS block) into at most `max` bytes; more is a LimitError. */
export function lz4Block(src: Uint8Array, max: number, name: string): Uint8Array {
  try {
    return jsBlock(src, max, undefined);
  } catch (err) {
    if (!(err instanceof Lz4BlockError)) throw err;
    if (err.overflow) throw new LimitError(name, 0, "lz4 block", max, max + 1);
    throw new FormatError(name, 0, "lz4 block", "valid lz4 data", err.message);
  }
}

const u32 = (b: Uint8Array, o = 0) => new DataView(b.buffer, b.byteOffset, b.length).getUint32(o, true);
const hex32 = (v: number) => v.toString(16).padStart(8, "0");

/** Each legacy block decodes to at most 8 MiB. */
const LEGACY_BLOCK = 8 << 20;
/** LZ4_compressBound of that: the most a legacy block is stored in. */
const LEGACY_BOUND = LEGACY_BLOCK + Math.floor(LEGACY_BLOCK / 255) + 16;
const FRAME_MAGIC = 0x184d2204;
/** Block maximum sizes by the BD byte's field (4 to 7). */
const BLOCK_MAX = [0, 0, 0, 0, 64 << 10, 256 << 10, 1 << 20, 4 << 20];
/** How far back a match reaches. */
const WINDOW = 64 << 10;

type Decode = (src: Uint8Array, max: number, history: Uint8Array | undefined, what: string) => Uint8Array;

/** The kernel's legacy format: magic, then blocks of u32 LE length and at most 8 MiB of output each. */
async function* legacy(src: Input, decode: Decode, pos: Position): AsyncGenerator<Uint8Array> {
  const magic = await src.take(4, "lz4 legacy magic");
  if (u32(magic) !== LZ4_LEGACY_MAGIC) {
    throw new FormatError(src.name, 0, "lz4 legacy stream", "magic 02 21 4c 18", hexBytes(magic));
  }
  while (await src.has(1)) {
    const at = src.offset;
    const len = u32(await src.peek(4, "lz4 legacy block size"));
    // Concatenated archives: a new magic resumes the format; trailing zeros end it.
    if (len === LZ4_LEGACY_MAGIC) {
      await src.take(4, "lz4 legacy magic");
      continue;
    }
    if (len === 0) return;
    if (len > LEGACY_BOUND) {
      throw new FormatError(src.name, at, "lz4 legacy block size", `at most ${LEGACY_BOUND}`, String(len));
    }
    const block = await src.take(4 + len, "lz4 legacy block");
    pos.offset = at;
    yield decode(block.subarray(4), LEGACY_BLOCK, undefined, "lz4 legacy block");
  }
}

/** The last `WINDOW` bytes of `history` then `out`. */
function slide(history: Uint8Array, out: Uint8Array): Uint8Array {
  if (out.length >= WINDOW) return out.subarray(out.length - WINDOW);
  const keep = Math.min(history.length, WINDOW - out.length);
  const next = new Uint8Array(keep + out.length);
  next.set(history.subarray(history.length - keep));
  next.set(out, keep);
  return next;
}

/** One frame (the lz4 frame format): descriptor, blocks, end mark, optional content checksum. */
async function* frame(src: Input, decode: Decode, pos: Position): AsyncGenerator<Uint8Array> {
  const name = src.name;
  const at = src.offset;
  const d = await src.peek(7, "lz4 frame descriptor");
  const flg = d[4] as number;
  const max = BLOCK_MAX[((d[5] as number) >> 4) & 7] as number;
  if (flg >> 6 !== 1 || flg & 0x01 || max === 0) {
    const found = `FLG ${flg.toString(16)} BD ${(d[5] as number).toString(16)}`;
    throw new FormatError(name, at + 4, "lz4 frame descriptor", "version 1, no dictionary, block size 4 to 7", found);
  }
  const header = await src.take(flg & 0x08 ? 15 : 7, "lz4 frame descriptor");
  const hc = (xxh32(header.subarray(4, header.length - 1)) >>> 8) & 0xff;
  if (hc !== header[header.length - 1]) {
    const found = (header[header.length - 1] as number).toString(16);
    throw new FormatError(name, at + header.length - 1, "lz4 header checksum", hc.toString(16), found);
  }
  const contentSize = flg & 0x08 ? u32(header, 6) + u32(header, 10) * 2 ** 32 : undefined;
  const blockSums = (flg & 0x10) !== 0;
  const sum = flg & 0x04 ? new Xxh32() : undefined;
  let history: Uint8Array | undefined = flg & 0x20 ? undefined : new Uint8Array(0);
  let total = 0;
  for (;;) {
    const b = src.offset;
    const word = u32(await src.peek(4, "lz4 block size"));
    if (word === 0) break;
    const size = word & 0x7fffffff;
    if (size > max) throw new FormatError(name, b, "lz4 block size", `at most ${max}`, String(size));
    const block = await src.take(4 + size + (blockSums ? 4 : 0), "lz4 block");
    const data = block.subarray(4, 4 + size);
    if (blockSums && xxh32(data) !== u32(block, 4 + size)) {
      throw new FormatError(name, b + 4 + size, "lz4 block checksum", hex32(xxh32(data)), hex32(u32(block, 4 + size)));
    }
    pos.offset = b;
    // The high bit marks a block stored as it is.
    const out = word >>> 31 ? data : decode(data, max, history, "lz4 block");
    sum?.update(out);
    total += out.length;
    if (history) history = slide(history, out);
    yield out;
  }
  await src.take(4, "lz4 end mark");
  if (sum) {
    const c = src.offset;
    const stored = u32(await src.take(4, "lz4 content checksum"));
    if (sum.digest() !== stored) {
      throw new FormatError(name, c, "lz4 content checksum", hex32(sum.digest()), hex32(stored));
    }
  }
  if (contentSize !== undefined && total !== contentSize) {
    throw new FormatError(name, at + 6, "lz4 content size", `${total} (the decoded length)`, String(contentSize));
  }
}

/** Frames back to back; skippable frames are passed over. */
async function* frames(src: Input, decode: Decode, pos: Position): AsyncGenerator<Uint8Array> {
  while (await src.has(1)) {
    const at = src.offset;
    const magic = await src.peek(4, "lz4 frame magic");
    if (u32(magic) >>> 4 === 0x184d2a5) {
      const size = u32(await src.take(8, "lz4 skippable frame header"), 4);
      await src.skip(size, "lz4 skippable frame", at);
    } else if (u32(magic) === FRAME_MAGIC) {
      yield* frame(src, decode, pos);
    } else {
      throw new FormatError(src.name, at, "lz4 frame", "magic 04 22 4d 18", hexBytes(magic));
    }
  }
}

/**
 * An lz4 stream (frames, or the kernel's legacy format) decoded block by block as it is read: no block makes
 * more than 8 MiB, and `at` follows the block being decoded.
 */
export async function* lz4Stream(
  kind: "lz4-frame" | "lz4-legacy",
  input: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  name: string,
  at: Position,
  backend: "native" | "js" = lz4Backend(),
): AsyncGenerator<Uint8Array> {
  const n = backend === "native" ? loadNative() : undefined;
  const block = n ? nativeBlock(n) : jsBlock;
  const decode: Decode = (src, max, history, what) => {
    try {
      return block(src, max, history);
    } catch (err) {
      throw new FormatError(name, at.offset, what, "valid lz4 data", (err as Error).message);
    }
  };
  const src = new Input(input, name);
  yield* kind === "lz4-legacy" ? legacy(src, decode, at) : frames(src, decode, at);
}
