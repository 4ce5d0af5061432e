/** `talos-ext/formats/compress`: zstd, xz, gzip and lz4 streams and blocks, told apart by their magic. */
export {
  type DecompressOptions,
  decompressBlock,
  decompressBuffer,
  decompressStream,
} from "./decompress.js";
export { lz4Backend } from "./lz4.js";
export { type Compression, sniff } from "./magic.js";
export { loadNativeZstd, zstdBackend } from "./zstd.js";
