// lz4js ships no types; these are the two calls used.
declare module "lz4js" {
  /** Decodes one raw LZ4 block from src[sIndex, sIndex+sLength) into dst at dIndex; returns the bytes written. */
  export function decompressBlock(
    src: Uint8Array,
    dst: Uint8Array,
    sIndex: number,
    sLength: number,
    dIndex: number,
  ): number;
  /** Decodes a whole LZ4 frame. */
  export function decompress(src: Uint8Array, maxSize?: number): Uint8Array;
}
