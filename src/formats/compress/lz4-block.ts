/** A fault in an lz4 block: where in the block, and whether it is only that the output would not fit. */
export class Lz4BlockError extends Error {
  constructor(
    readonly at: number,
    message: string,
    readonly overflow = false,
  ) {
    super(`${message}, at byte ${at} of the block`);
  }
}

/**
 * Decodes one raw lz4 block (the block format: sequences of literals and a match) from `src` into `dst` from
 * `start`; the bytes of `dst` before `start` are history a match may reach into (linked frame blocks). Returns
 * where the output ends. Every length and offset is checked, as LZ4_decompress_safe does: a match reaching
 * before the history or output past `dst` is an error, never a silent zero.
 */
export function decodeLz4Block(src: Uint8Array, dst: Uint8Array, start: number): number {
  const end = src.length;
  let s = 0;
  let d = start;
  for (;;) {
    if (s >= end) throw new Lz4BlockError(s, "a sequence token past the end of the block");
    const token = src[s++] as number;
    let literals = token >> 4;
    if (literals === 15) {
      let b: number;
      do {
        if (s >= end) throw new Lz4BlockError(s, "a length byte past the end of the block");
        b = src[s++] as number;
        literals += b;
      } while (b === 255);
    }
    if (s + literals > end) throw new Lz4BlockError(s, `${literals} literals past the end of the block`);
    if (d + literals > dst.length) throw new Lz4BlockError(s, "more output than the block may make", true);
    // Short runs are the common case, where a byte loop beats a subarray and set.
    if (literals < 32) for (const stop = s + literals; s < stop; ) dst[d++] = src[s++] as number;
    else {
      dst.set(src.subarray(s, s + literals), d);
      s += literals;
      d += literals;
    }
    // The last sequence is literals only.
    if (s === end) return d;
    if (s + 2 > end) throw new Lz4BlockError(s, "a match offset past the end of the block");
    const offset = (src[s] as number) | ((src[s + 1] as number) << 8);
    if (offset === 0 || offset > d) throw new Lz4BlockError(s, `match offset ${offset} before the start of the data`);
    s += 2;
    let match = (token & 15) + 4;
    if (match === 19) {
      let b: number;
      do {
        if (s >= end) throw new Lz4BlockError(s, "a length byte past the end of the block");
        b = src[s++] as number;
        match += b;
      } while (b === 255);
    }
    if (d + match > dst.length) throw new Lz4BlockError(s, "more output than the block may make", true);
    let from = d - offset;
    // An overlapping match repeats the last `offset` bytes, so it is copied byte by byte, as are short ones.
    if (match < 32 || offset < match) for (const stop = d + match; d < stop; ) dst[d++] = dst[from++] as number;
    else {
      dst.copyWithin(d, from, from + match);
      d += match;
    }
  }
}
