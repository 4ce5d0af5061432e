/**
 * glibc's `_dl_cache_libcmp` (elf/dl-cache.c): compares library names with runs of digits compared as numbers,
 * so `libfoo.so.10` sorts after `libfoo.so.9`; a digit sorts after any other character. Only the sign of the
 * result matters. Bytes are compared as x86's signed `char`, as an x86-64 ldconfig does (this only matters
 * for names with bytes above 0x7f).
 */
export function dlCacheLibcmp(a: Uint8Array, b: Uint8Array): number {
  let i = 0;
  let j = 0;
  const at = (s: Uint8Array, k: number) => (k < s.length ? (s[k] ?? 0) : 0);
  const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
  const signed = (c: number) => (c << 24) >> 24;
  while (at(a, i) !== 0) {
    const c1 = at(a, i);
    const c2 = at(b, j);
    if (isDigit(c1)) {
      if (!isDigit(c2)) return 1;
      // Like the C code, the number is an int that wraps; both sides wrap alike.
      let v1 = 0;
      let v2 = 0;
      while (isDigit(at(a, i))) v1 = (Math.imul(v1, 10) + at(a, i++) - 0x30) | 0;
      while (isDigit(at(b, j))) v2 = (Math.imul(v2, 10) + at(b, j++) - 0x30) | 0;
      if (v1 !== v2) return (v1 - v2) | 0;
    } else if (isDigit(c2)) {
      return -1;
    } else if (c1 !== c2) {
      return signed(c1) - signed(c2);
    } else {
      i++;
      j++;
    }
  }
  return signed(at(a, i)) - signed(at(b, j));
}

/** C `strcmp` on bytes (unsigned). */
export function strcmpBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let k = 0; k < n; k++) {
    const d = (a[k] ?? 0) - (b[k] ?? 0);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}
