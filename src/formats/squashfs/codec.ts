import { FormatError, LimitError } from "../../errors.js";
import type { ByteSource } from "../../io/source.js";
import { type Compression, decompressBlock, loadNativeZstd } from "../compress/index.js";
import type { CompressorName } from "./format.js";

/** Decodes one stored block into at most `maxSize` bytes; errors name the block's position and structure. */
export type BlockCodec = (bytes: Uint8Array, maxSize: number, at: number, what: string) => Uint8Array;

/** How the shared decompressor names each SquashFS payload; lz4 blocks are raw (no frame), read as such. */
const KINDS: Partial<Record<CompressorName, Compression>> = {
  gzip: "gzip",
  xz: "xz",
  lz4: "lz4-legacy",
  zstd: "zstd",
};

/**
 * A zstd frame states its decoded size up front and decoders allocate it: a frame claiming more than the
 * block can hold is refused before decoding (RFC 8878 section 3.1.1.1).
 */
function zstdDeclaredSize(b: Uint8Array): number | undefined {
  if (b.length < 6 || b[0] !== 0x28 || b[1] !== 0xb5 || b[2] !== 0x2f || b[3] !== 0xfd) return undefined;
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  const fhd = v.getUint8(4);
  const single = (fhd & 0x20) !== 0;
  const fcs = fhd >> 6;
  const dictionaryIdSize = [0, 1, 2, 4][fhd & 3] as number;
  const at = 5 + (single ? 0 : 1) + dictionaryIdSize;
  const size = fcs === 0 ? (single ? 1 : 0) : 1 << fcs;
  if (size === 0 || at + size > b.length) return undefined;
  if (size === 1) return v.getUint8(at);
  if (size === 2) return v.getUint16(at, true) + 256;
  if (size === 4) return v.getUint32(at, true);
  return Number(v.getBigUint64(at, true));
}

/**
 * The decoder for an image's compressor. lzo and lzma images are recognised but not decoded: Talos and the
 * kernels it ships use neither.
 */
export async function blockCodec(src: ByteSource, compressor: CompressorName): Promise<BlockCodec> {
  const kind = KINDS[compressor];
  if (kind === undefined) {
    throw new FormatError(
      src.name,
      0x14,
      "squashfs superblock compression",
      "gzip, xz, lz4 or zstd",
      `unsupported compressor ${compressor}`,
    );
  }
  if (kind === "zstd") await loadNativeZstd();
  return (bytes, maxSize, at, what) => {
    if (kind === "zstd") {
      const declared = zstdDeclaredSize(bytes);
      if (declared !== undefined && declared > maxSize) throw new LimitError(src.name, at, what, maxSize, declared);
    }
    try {
      return decompressBlock(kind, bytes, maxSize, src.name);
    } catch (err) {
      // The shared decoder knows neither where the block is nor what it holds.
      if (err instanceof LimitError) throw new LimitError(src.name, at, what, err.limit, err.requested);
      if (err instanceof FormatError) throw new FormatError(src.name, at, what, err.expected, err.found);
      throw err;
    }
  };
}
