import { FormatError, LimitError } from "../../io/errors.js";
import { decompressBlock } from "../compress/decompress.js";
import type { Compression } from "../compress/magic.js";
import { loadNativeZstd } from "../compress/zstd.js";
import type { CompressorName } from "./format.js";

/**
 * Decodes one stored block into at most `maxSize` bytes (with `into`, into that buffer: at most its length);
 * errors name the block's position and structure.
 */
export type BlockCodec = (
  bytes: Uint8Array,
  maxSize: number,
  at: number,
  what: string,
  into?: Uint8Array,
) => Uint8Array;

/** How the shared decompressor names each SquashFS payload; lz4 blocks are raw (no frame), read as such. */
const KINDS: Partial<Record<CompressorName, Compression>> = {
  gzip: "gzip",
  xz: "xz",
  lz4: "lz4-legacy",
  zstd: "zstd",
};

/** zstd's largest block (RFC 8878 section 3.1.1.2.4): no block decodes to more. */
const ZSTD_BLOCK_MAX = 128 << 10;

/**
 * Where a zstd frame ends and the most it can decode to (RFC 8878 section 3.1.1), from its header and block
 * headers alone: decoders allocate the size a frame declares, or grow without bound on a frame that states
 * none, so both are checked against the block size before decoding. undefined: not a whole frame.
 */
function zstdFrame(b: Uint8Array): { end: number; bound: number } | undefined {
  if (b.length < 6 || b[0] !== 0x28 || b[1] !== 0xb5 || b[2] !== 0x2f || b[3] !== 0xfd) return undefined;
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  const fhd = v.getUint8(4);
  const single = (fhd & 0x20) !== 0;
  let at = 5;
  let window = 0;
  if (!single) {
    const wd = v.getUint8(at++);
    const base = 2 ** (10 + (wd >> 3));
    window = base + (base / 8) * (wd & 7);
  }
  at += [0, 1, 2, 4][fhd & 3] as number;
  const fcsSize = fhd >> 6 === 0 ? (single ? 1 : 0) : 1 << (fhd >> 6);
  if (at + fcsSize > b.length) return undefined;
  let declared: number | undefined;
  if (fcsSize === 1) declared = v.getUint8(at);
  else if (fcsSize === 2) declared = v.getUint16(at, true) + 256;
  else if (fcsSize === 4) declared = v.getUint32(at, true);
  else if (fcsSize === 8) declared = Number(v.getBigUint64(at, true));
  at += fcsSize;
  const blockMax = Math.min(single ? (declared ?? 0) : window, ZSTD_BLOCK_MAX);
  let bound = 0;
  for (let last = false; !last; ) {
    if (at + 3 > b.length) return undefined;
    const h = v.getUint16(at, true) | (v.getUint8(at + 2) << 16);
    const type = (h >> 1) & 3;
    const size = h >>> 3;
    if (type === 3) return undefined;
    last = (h & 1) === 1;
    at += 3 + (type === 1 ? 1 : size);
    bound += type === 2 ? blockMax : size;
  }
  if (fhd & 4) at += 4; // content checksum
  return at > b.length ? undefined : { end: at, bound: declared ?? bound };
}

/**
 * The decoder for the compressor of the image `name`. lzo and lzma images are recognised but not decoded: Talos and the
 * kernels it ships use neither.
 */
export async function blockCodec(name: string, compressor: CompressorName): Promise<BlockCodec> {
  const kind = KINDS[compressor];
  if (kind === undefined) {
    throw new FormatError(
      name,
      0x14,
      "squashfs superblock compression",
      "gzip, xz, lz4 or zstd",
      `unsupported compressor ${compressor}`,
    );
  }
  if (kind === "zstd") await loadNativeZstd();
  return (bytes, maxSize, at, what, into) => {
    if (kind === "zstd") {
      const frame = zstdFrame(bytes);
      if (frame === undefined || frame.end !== bytes.length) {
        throw new FormatError(
          name,
          at,
          what,
          `one whole zstd frame of ${bytes.length} bytes`,
          frame ? `${frame.end} bytes` : "none",
        );
      }
      if (frame.bound > maxSize) throw new LimitError(name, at, what, maxSize, frame.bound);
    }
    try {
      return decompressBlock(kind, bytes, maxSize, name, into);
    } catch (err) {
      // The shared decoder knows neither where the block is nor what it holds.
      if (err instanceof LimitError) throw new LimitError(name, at, what, err.limit, err.requested);
      if (err instanceof FormatError) throw new FormatError(name, at, what, err.expected, err.found);
      throw err;
    }
  };
}
