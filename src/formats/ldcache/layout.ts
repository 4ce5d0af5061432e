/** Byte layout of glibc's ld.so.cache (sysdeps/generic/dl-cache.h). */
export const OLD_MAGIC = "ld.so-1.7.0";
export const NEW_MAGIC = "glibc-ld.so.cache1.1";
/** `struct cache_file`: 11-byte magic, padding, u32 nlibs. */
export const OLD_HEADER_SIZE = 16;
/** `struct file_entry`: i32 flags, u32 key, u32 value. */
export const OLD_ENTRY_SIZE = 12;
/** `struct cache_file_new`. */
export const NEW_HEADER_SIZE = 48;
/** `struct file_entry_new`: i32 flags, u32 key, u32 value, u32 osversion, u64 hwcap. */
export const NEW_ENTRY_SIZE = 24;
export const EXTENSION_MAGIC = 0xeaa42174;
export const EXTENSION_TAG_GENERATOR = 0;
export const EXTENSION_TAG_GLIBC_HWCAPS = 1;
/** Bit 62 of an entry's hwcap: the low 32 bits index the glibc-hwcaps extension section. */
export const HWCAP_EXTENSION = 1n << 62n;
export const ISA_LEVEL_MASK = 0x3ff;
/** Value of the header's flags byte for a little-endian cache. */
export const ENDIAN_LITTLE = 2;
export const ENDIAN_BIG = 3;

/** Whether `hwcap` refers to a glibc-hwcaps subdirectory (glibc's `dl_cache_hwcap_extension`). */
export function isHwcapsExtension(hwcap: bigint): boolean {
  return ((hwcap >> 32n) & ~BigInt(ISA_LEVEL_MASK)) === HWCAP_EXTENSION >> 32n;
}
