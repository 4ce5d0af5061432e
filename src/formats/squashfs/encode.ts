import { deflateSync } from "node:zlib";
import { xzSync } from "node-liblzma";
import type { CompressorName } from "./format.js";

/** The compressors the writer offers: what Talos' imager and mksquashfs use for extension and rootfs images. */
export type WriteCompressor = Extract<CompressorName, "zstd" | "xz" | "gzip">;

export interface CompressionOptions {
  readonly compressor: WriteCompressor;
  /** zstd 1-22 (default 15), xz preset 0-9 (default 6), gzip 1-9 (default 9): mksquashfs's defaults. */
  readonly level?: number;
}

/** Encodes one block; `undefined` when compressing does not make it smaller (the block is then stored as is). */
export type BlockEncoder = (raw: Uint8Array) => Uint8Array | undefined;

const LEVELS: Record<WriteCompressor, { min: number; max: number; default: number }> = {
  zstd: { min: 1, max: 22, default: 15 },
  xz: { min: 0, max: 9, default: 6 },
  gzip: { min: 1, max: 9, default: 9 },
};

/** liblzma's preset dictionary sizes (lzma_lzma_preset): what the stream headers of each level declare. */
const XZ_PRESET_DICT = [18, 20, 21, 22, 22, 23, 23, 24, 25, 26].map((log) => 2 ** log);

interface ZstdCompressor {
  Compressor: new () => { setParameters(p: { compressionLevel: number }): void; compress(b: Uint8Array): Buffer };
}

/** The level in use, checked against the compressor's range. */
export function compressionLevel(opts: CompressionOptions): number {
  const range = LEVELS[opts.compressor];
  const level = opts.level ?? range.default;
  if (!Number.isInteger(level) || level < range.min || level > range.max) {
    throw new RangeError(`${opts.compressor} level must be an integer ${range.min}-${range.max}, not ${level}`);
  }
  return level;
}

/** The encoder for a compressor; zstd needs the native binding (the pure-JavaScript fallback only decodes). */
export async function blockEncoder(opts: CompressionOptions): Promise<BlockEncoder> {
  const level = compressionLevel(opts);
  const smaller = (raw: Uint8Array, out: Uint8Array) => (out.length < raw.length ? out : undefined);
  switch (opts.compressor) {
    case "gzip":
      // SquashFS's "gzip" is a zlib stream; window 15 as mksquashfs writes it.
      return (raw) => smaller(raw, deflateSync(raw, { level, windowBits: 15 }));
    case "xz":
      return (raw) => smaller(raw, xzSync(Buffer.from(raw.buffer, raw.byteOffset, raw.length), { preset: level }));
    case "zstd": {
      let native: ZstdCompressor;
      try {
        native = (await import("zstd-napi")) as unknown as ZstdCompressor;
      } catch (err) {
        throw new Error(`zstd compression needs the zstd-napi binding, which did not load: ${(err as Error).message}`);
      }
      const c = new native.Compressor();
      c.setParameters({ compressionLevel: level });
      return (raw) => smaller(raw, c.compress(raw));
    }
  }
}

/**
 * The compressor options block mksquashfs would write, or undefined where every option is the default (the
 * flag and block are then left out). xz always states its dictionary when it is not the block size: the kernel
 * allocates its decoder's dictionary from it.
 */
export function compressorOptionsBlock(opts: CompressionOptions, blockSize: number): Uint8Array | undefined {
  const level = compressionLevel(opts);
  const out = new DataView(new ArrayBuffer(8));
  switch (opts.compressor) {
    case "zstd":
      if (level === LEVELS.zstd.default) return undefined;
      out.setUint32(0, level, true);
      return new Uint8Array(out.buffer, 0, 4);
    case "gzip":
      if (level === LEVELS.gzip.default) return undefined;
      out.setUint32(0, level, true);
      out.setUint16(4, 15, true); // window size
      out.setUint16(6, 0, true); // strategies: default only
      return new Uint8Array(out.buffer);
    case "xz": {
      const dict = XZ_PRESET_DICT[level] as number;
      if (dict === blockSize) return undefined;
      out.setUint32(0, dict, true);
      out.setUint32(4, 0, true); // no BCJ filters
      return new Uint8Array(out.buffer);
    }
  }
}
