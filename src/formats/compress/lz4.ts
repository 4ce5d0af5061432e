import { createRequire } from "node:module";
import { decompressBlock, decompress as lz4jsFrame } from "lz4js";
import { FormatError, LimitError } from "../../errors.js";

const require = createRequire(import.meta.url);

interface Native {
  decompressFrameSync(b: Buffer): Buffer;
}

let native: Native | undefined | null = null;

/** lz4-napi when its platform package is installed (it also reads the kernel's legacy format), else undefined. */
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

/** Which decoder `lz4Buffer` uses by default: `native` (lz4-napi) or `lz4js`. */
export function lz4Backend(): "native" | "lz4js" {
  return loadNative() ? "native" : "lz4js";
}

const LEGACY_MAGIC = 0x184c2102;
/** Each legacy block decodes to at most 8 MiB. */
const LEGACY_BLOCK = 8 << 20;

/** The legacy format by hand: magic, then blocks of u32 LE length and at most 8 MiB of output each. */
function legacy(bytes: Uint8Array, name: string, max: number): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  let at = 4;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const dst = new Uint8Array(LEGACY_BLOCK);
  while (at + 4 <= bytes.length) {
    const len = view.getUint32(at, true);
    // Concatenated archives: a new magic resumes the format; trailing zeros end it.
    if (len === LEGACY_MAGIC) {
      at += 4;
      continue;
    }
    if (len === 0) break;
    if (at + 4 + len > bytes.length)
      throw new FormatError(name, at, "lz4 legacy block", `${len} bytes`, "end of input");
    const n = decompressBlock(bytes, dst, at + 4, len, 0);
    if (n < 0) throw new FormatError(name, at, "lz4 legacy block", "valid lz4 data");
    total += n;
    if (total > max) throw new LimitError(name, at, "lz4 output", max, total);
    parts.push(dst.slice(0, n));
    at += 4 + len;
  }
  return Buffer.concat(parts);
}

const FRAME_MAGIC = 0x184d2204;

/**
 * Where the lz4 frame at `at` ends, walked from its block sizes (lz4js would decode a cut frame without
 * complaint): header, blocks each with a u32 size (high bit: stored), end mark, optional content checksum.
 */
function frameEnd(bytes: Uint8Array, at: number, name: string): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const need = (pos: number, n: number, what: string) => {
    if (pos + n > bytes.length) throw new FormatError(name, pos, what, `${n} bytes`, "end of input");
  };
  need(at, 7, "lz4 frame header");
  if (view.getUint32(at, true) !== FRAME_MAGIC) {
    throw new FormatError(name, at, "lz4 frame", "magic 04 22 4D 18");
  }
  const flg = bytes[at + 4] as number;
  const blockChecksum = flg & 0x10 ? 4 : 0;
  let pos = at + 7 + (flg & 0x08 ? 8 : 0) + (flg & 0x01 ? 4 : 0);
  for (;;) {
    need(pos, 4, "lz4 block size");
    const size = view.getUint32(pos, true) & 0x7fffffff;
    pos += 4;
    if (size === 0) break;
    need(pos, size + blockChecksum, "lz4 block");
    pos += size + blockChecksum;
  }
  if (flg & 0x04) {
    need(pos, 4, "lz4 content checksum");
    pos += 4;
  }
  return pos;
}

/** Frames back to back, each checked for completeness and decoded by lz4js. */
function frames(bytes: Uint8Array, name: string, max: number): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (let at = 0; at < bytes.length; ) {
    const end = frameEnd(bytes, at, name);
    const out = lz4jsFrame(bytes.subarray(at, end));
    total += out.length;
    if (total > max) throw new LimitError(name, at, "lz4 output", max, total);
    parts.push(out);
    at = end;
  }
  return Buffer.concat(parts);
}

/**
 * A whole lz4 frame or legacy stream decoded in memory. lz4-napi has no output bound, so its result is
 * measured afterwards; the hand-walked legacy decoder stops at the bound.
 */
export function lz4Buffer(
  kind: "lz4-frame" | "lz4-legacy",
  bytes: Buffer,
  name: string,
  max: number,
  backend: "native" | "lz4js" = lz4Backend(),
): Uint8Array {
  const n = backend === "native" ? loadNative() : undefined;
  let out: Uint8Array;
  try {
    if (n) out = n.decompressFrameSync(bytes);
    else out = kind === "lz4-legacy" ? legacy(bytes, name, max) : frames(bytes, name, max);
  } catch (err) {
    if (err instanceof FormatError || err instanceof LimitError) throw err;
    throw new FormatError(name, 0, `${kind} stream`, `valid ${kind} data`, (err as Error).message);
  }
  if (out.length > max) throw new LimitError(name, bytes.length, "lz4 output", max, out.length);
  return out;
}
