/**
 * One ld.so.cache entry: what the reader returns, the writer stores, ldconfig's tree scan finds and the
 * overlay checks compare.
 */
export interface LdCacheEntry {
  /** The key: the library's soname, e.g. `libz.so.1`. */
  readonly soname: string;
  /** The value: the path the loader opens (for a regular directory ldconfig uses DIR/SONAME). */
  readonly path: string;
  /** Type and ABI bits (see flags.ts), e.g. 0x0303 for a libc6 x86-64 library. */
  readonly flags: number;
  /** The glibc-hwcaps subdirectory the library lives in, e.g. `x86-64-v3`, as the loader resolves it. */
  readonly hwcapsName?: string;
  /** The x86 ISA level (0-1023) recorded for a glibc-hwcaps entry, as ldconfig records it. */
  readonly isaLevel?: number;
  /** The flags in `ldconfig -p` words, e.g. `libc6,x86-64`. */
  readonly flagsText: string;
  /** The stored hwcap word; for a glibc-hwcaps entry it encodes `hwcapsName` and `isaLevel`. */
  readonly hwcap: bigint;
  readonly osVersion: number;
}

/** What writing an entry takes: the flags text follows from the flags, the hwcap word from the hwcaps fields. */
export type LdCacheEntryFields = Pick<LdCacheEntry, "soname" | "path" | "flags" | "hwcapsName" | "isaLevel">;
