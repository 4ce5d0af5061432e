import { FormatError, LimitError } from "../../io/errors.js";
import type { ByteSource } from "../../io/source.js";
import type { LdCacheEntry } from "./entry.js";
import { ldCacheFlagsText } from "./flags.js";
import {
  ENDIAN_BIG,
  EXTENSION_MAGIC,
  EXTENSION_TAG_GENERATOR,
  EXTENSION_TAG_GLIBC_HWCAPS,
  ISA_LEVEL_MASK,
  isHwcapsExtension,
  NEW_ENTRY_SIZE,
  NEW_HEADER_SIZE,
  NEW_MAGIC,
  OLD_ENTRY_SIZE,
  OLD_HEADER_SIZE,
  OLD_MAGIC,
} from "./layout.js";

export interface LdCache {
  /** `old` (ld.so-1.7.0), `new` (glibc-ld.so.cache1.1) or `compat` (new hidden after the old table). */
  format: "old" | "new" | "compat";
  /** The entries `ldconfig -p` lists (for `compat`, those of the new table), in file order. */
  entries: LdCacheEntry[];
  /** The extension's generator string, e.g. `ldconfig (Debian GLIBC 2.36-9+deb12u14) stable release version 2.36`. */
  generator?: string;
}

/** Caches are small (Debian's has ~1000 entries in ~100 KiB); a larger input is refused rather than read. */
export const LD_CACHE_MAX_BYTES = 64 << 20;

const latin1 = new TextDecoder("latin1");
const utf8 = new TextDecoder("utf-8");

/**
 * Reads an ld.so.cache in any of glibc's three layouts, the way `ldconfig -p` (glibc 2.36 elf/cache.c
 * print_cache) and the loader read it. Every offset is checked against the file; a bad one is a FormatError.
 */
export async function readLdCache(src: ByteSource): Promise<LdCache> {
  if (src.size > LD_CACHE_MAX_BYTES) throw new LimitError(src.name, 0, "ld.so.cache", LD_CACHE_MAX_BYTES, src.size);
  const bytes = await src.read(0, src.size, "ld.so.cache");
  const file = src.name;
  if (bytes.length < OLD_HEADER_SIZE) {
    throw new FormatError(file, 0, "cache header", `at least ${OLD_HEADER_SIZE} bytes`, `${bytes.length}`);
  }
  const le = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (latin1.decode(bytes.subarray(0, OLD_MAGIC.length)) !== OLD_MAGIC) {
    return readNew(bytes, file, 0, "new");
  }
  const nlibs = le.getUint32(11 + 1, true);
  if ((bytes.length - OLD_HEADER_SIZE) / OLD_ENTRY_SIZE < nlibs) {
    throw new FormatError(
      file,
      12,
      "old cache nlibs",
      `at most ${Math.floor((bytes.length - OLD_HEADER_SIZE) / OLD_ENTRY_SIZE)} entries`,
      String(nlibs),
    );
  }
  const tableEnd = OLD_HEADER_SIZE + nlibs * OLD_ENTRY_SIZE;
  const newAt = (tableEnd + 7) & ~7;
  if (bytes.length > newAt + NEW_HEADER_SIZE && magicAt(bytes, newAt) === NEW_MAGIC) {
    return readNew(bytes, file, newAt, "compat");
  }
  const entries: LdCacheEntry[] = [];
  for (let i = 0; i < nlibs; i++) {
    const at = OLD_HEADER_SIZE + i * OLD_ENTRY_SIZE;
    const flags = le.getInt32(at, true);
    entries.push({
      soname: cString(bytes, file, tableEnd, le.getUint32(at + 4, true), `entry ${i} key`),
      path: cString(bytes, file, tableEnd, le.getUint32(at + 8, true), `entry ${i} value`),
      flags,
      flagsText: ldCacheFlagsText(flags),
      hwcap: 0n,
      osVersion: 0,
    });
  }
  return { format: "old", entries };
}

function magicAt(bytes: Uint8Array, at: number): string {
  return latin1.decode(bytes.subarray(at, at + NEW_MAGIC.length));
}

function readNew(bytes: Uint8Array, file: string, base: number, format: "new" | "compat"): LdCache {
  if (bytes.length < base + NEW_HEADER_SIZE || magicAt(bytes, base) !== NEW_MAGIC) {
    throw new FormatError(
      file,
      base,
      "cache header",
      `"${OLD_MAGIC}" or "${NEW_MAGIC}"`,
      JSON.stringify(magicAt(bytes, base)),
    );
  }
  const endian = bytes[base + 28] ?? 0;
  if (endian !== 0 && (endian & 3) !== 2 && (endian & 3) !== ENDIAN_BIG) {
    throw new FormatError(file, base + 28, "cache flags", "endianness 0, 2 (little) or 3 (big)", String(endian & 3));
  }
  const little = (endian & 3) !== ENDIAN_BIG;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const nlibs = v.getUint32(base + 20, little);
  const room = Math.floor((bytes.length - base - NEW_HEADER_SIZE) / NEW_ENTRY_SIZE);
  if (nlibs > room) throw new FormatError(file, base + 20, "cache nlibs", `at most ${room} entries`, String(nlibs));
  const ext = readExtensions(bytes, v, file, base, little);
  const entries: LdCacheEntry[] = [];
  for (let i = 0; i < nlibs; i++) {
    const at = base + NEW_HEADER_SIZE + i * NEW_ENTRY_SIZE;
    const flags = v.getInt32(at, little);
    const hwcap = v.getBigUint64(at + 16, little);
    entries.push({
      soname: cString(bytes, file, base, v.getUint32(at + 4, little), `entry ${i} key`),
      path: cString(bytes, file, base, v.getUint32(at + 8, little), `entry ${i} value`),
      flags,
      flagsText: ldCacheFlagsText(flags),
      hwcap,
      osVersion: v.getUint32(at + 12, little),
      ...(isHwcapsExtension(hwcap) ? hwcapsOf(bytes, v, file, ext, hwcap, little, i) : {}),
    });
  }
  return { format, entries, ...(ext.generator === undefined ? {} : { generator: ext.generator }) };
}

/** A glibc-hwcaps entry's ISA level and subdirectory name, from its hwcap word and the extension section. */
function hwcapsOf(
  bytes: Uint8Array,
  v: DataView,
  file: string,
  ext: Extensions,
  hwcap: bigint,
  little: boolean,
  i: number,
): { isaLevel: number; hwcapsName?: string } {
  const isaLevel = Number((hwcap >> 32n) & BigInt(ISA_LEVEL_MASK));
  const index = Number(hwcap & 0xffff_ffffn);
  const strIndex =
    ext.hwcaps !== undefined && index < ext.hwcaps.count ? v.getUint32(ext.hwcaps.at + 4 * index, little) : undefined;
  // glibc resolves these indices from the start of the file, also in the compat layout where its own
  // writer made them relative to the new header; we report the name the loader will see.
  if (strIndex === undefined || strIndex >= bytes.length) return { isaLevel };
  return { isaLevel, hwcapsName: cString(bytes, file, 0, strIndex, `entry ${i} glibc-hwcaps name`) };
}

interface Extensions {
  generator?: string;
  hwcaps?: { at: number; count: number };
}

/** The extension directory, checked as glibc's `cache_extension_load` checks it. */
function readExtensions(bytes: Uint8Array, v: DataView, file: string, base: number, little: boolean): Extensions {
  const offset = v.getUint32(base + 32, little);
  const out: Extensions = {};
  if (offset === 0) return out;
  if (offset % 4 !== 0) throw new FormatError(file, base + 32, "extension_offset", "a multiple of 4", String(offset));
  if (offset + 8 > bytes.length) {
    throw new FormatError(file, base + 32, "extension_offset", `an offset below ${bytes.length - 8}`, String(offset));
  }
  if (v.getUint32(offset, little) !== EXTENSION_MAGIC) {
    throw new FormatError(
      file,
      offset,
      "extension directory",
      "magic 0xeaa42174",
      `0x${v.getUint32(offset, little).toString(16)}`,
    );
  }
  const count = v.getUint32(offset + 4, little);
  if (offset + 8 + count * 16 > bytes.length) {
    throw new FormatError(
      file,
      offset + 4,
      "extension count",
      `at most ${Math.floor((bytes.length - offset - 8) / 16)}`,
      String(count),
    );
  }
  for (let i = 0; i < count; i++) {
    const at = offset + 8 + i * 16;
    const tag = v.getUint32(at, little);
    const start = v.getUint32(at + 8, little);
    const size = v.getUint32(at + 12, little);
    if (start + size > bytes.length) {
      throw new FormatError(
        file,
        at + 8,
        `extension section ${i}`,
        `data inside the file (${bytes.length} bytes)`,
        `${start}+${size}`,
      );
    }
    if (tag === EXTENSION_TAG_GENERATOR) out.generator = utf8.decode(bytes.subarray(start, start + size));
    // Like glibc, an empty or misaligned glibc-hwcaps section is ignored rather than an error.
    else if (tag === EXTENSION_TAG_GLIBC_HWCAPS && size > 0 && start % 4 === 0 && size % 4 === 0) {
      out.hwcaps = { at: start, count: size / 4 };
    }
  }
  return out;
}

function cString(bytes: Uint8Array, file: string, base: number, offset: number, what: string): string {
  const at = base + offset;
  if (at >= bytes.length)
    throw new FormatError(file, at, what, `a string offset inside the file (${bytes.length} bytes)`, String(offset));
  const end = bytes.indexOf(0, at);
  if (end < 0) throw new FormatError(file, at, what, "a NUL-terminated string", "end of file");
  return utf8.decode(bytes.subarray(at, end));
}
