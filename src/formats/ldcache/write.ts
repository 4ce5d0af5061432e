import type { LdCacheEntryFields } from "./entry.js";
import {
  ENDIAN_LITTLE,
  EXTENSION_MAGIC,
  EXTENSION_TAG_GENERATOR,
  EXTENSION_TAG_GLIBC_HWCAPS,
  HWCAP_EXTENSION,
  ISA_LEVEL_MASK,
  NEW_ENTRY_SIZE,
  NEW_HEADER_SIZE,
  NEW_MAGIC,
} from "./layout.js";
import { dlCacheLibcmp, strcmpBytes } from "./libcmp.js";
import { buildStringTable } from "./strings.js";

const utf8 = new TextEncoder();

/**
 * glibc's ldconfig entry order (elf/cache.c `compare`): names by `_dl_cache_libcmp` descending, then flags
 * descending, then glibc-hwcaps entries before the others and among them by subdirectory name. ldconfig inserts
 * equal entries after the ones already there, which is what a stable sort of the input order gives.
 */
export function compareLdCacheLibs(a: LdCacheEntryFields, b: LdCacheEntryFields): number {
  const res = dlCacheLibcmp(utf8.encode(b.soname), utf8.encode(a.soname));
  if (res !== 0) return res;
  if (a.flags !== b.flags) return a.flags < b.flags ? 1 : -1;
  if (a.hwcapsName !== undefined && b.hwcapsName === undefined) return -1;
  if (a.hwcapsName === undefined && b.hwcapsName !== undefined) return 1;
  if (a.hwcapsName !== undefined && b.hwcapsName !== undefined)
    return strcmpBytes(utf8.encode(a.hwcapsName), utf8.encode(b.hwcapsName));
  return 0;
}

/**
 * Writes a new-format (glibc-ld.so.cache1.1) little-endian cache with the glibc-hwcaps extension, laid out as
 * glibc 2.36's ldconfig lays it out. `generator` is the text of the generator extension.
 */
export function writeLdCache(libs: readonly LdCacheEntryFields[], generator = "talos-ext"): Uint8Array {
  for (const l of libs) {
    if ([l.soname, l.path, l.hwcapsName ?? ""].some((s) => s.includes("\0"))) {
      throw new RangeError(`ld.so.cache entry ${l.soname}: names cannot contain NUL`);
    }
    const isa = l.isaLevel ?? 0;
    if (!Number.isInteger(isa) || isa < 0 || isa > ISA_LEVEL_MASK) {
      throw new RangeError(`ld.so.cache entry ${l.soname}: ISA level ${isa} is outside 0..${ISA_LEVEL_MASK}`);
    }
  }
  const sorted = [...libs].sort(compareLdCacheLibs);
  const hwcapsNames = [...new Set(sorted.flatMap((l) => (l.hwcapsName === undefined ? [] : [l.hwcapsName])))].sort(
    (a, b) => strcmpBytes(utf8.encode(a), utf8.encode(b)),
  );
  const strings = buildStringTable([...sorted.flatMap((l) => [l.soname, l.path]), ...hwcapsNames]);
  const off = (s: string) => strings.offsets.get(s) ?? 0;
  const strBase = NEW_HEADER_SIZE + sorted.length * NEW_ENTRY_SIZE;
  const extOffset = align4(strBase + strings.bytes.length);
  // ldconfig reserves room for a directory of every known tag, then moves the generator text back over the
  // glibc-hwcaps descriptor when that section is absent.
  const hwcapsOffset = extOffset + 8 + 2 * 16;
  const hwcapsSize = hwcapsNames.length * 4;
  const generatorBytes = utf8.encode(generator);
  const generatorOffset = hwcapsNames.length === 0 ? hwcapsOffset - 16 : hwcapsOffset + hwcapsSize;
  const total = generatorOffset + generatorBytes.length;
  if (total > 0xffff_ffff) throw new RangeError(`ld.so.cache of ${total} bytes does not fit 32-bit offsets`);

  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  out.set(utf8.encode(NEW_MAGIC), 0);
  v.setUint32(20, sorted.length, true);
  v.setUint32(24, strings.bytes.length, true);
  out[28] = ENDIAN_LITTLE;
  v.setUint32(32, extOffset, true);
  sorted.forEach((l, i) => {
    const at = NEW_HEADER_SIZE + i * NEW_ENTRY_SIZE;
    v.setInt32(at, l.flags, true);
    v.setUint32(at + 4, strBase + off(l.soname), true);
    v.setUint32(at + 8, strBase + off(l.path), true);
    if (l.hwcapsName !== undefined) {
      const isa = BigInt(l.isaLevel ?? 0);
      v.setBigUint64(at + 16, HWCAP_EXTENSION | (isa << 32n) | BigInt(hwcapsNames.indexOf(l.hwcapsName)), true);
    }
  });
  out.set(strings.bytes, strBase);
  v.setUint32(extOffset, EXTENSION_MAGIC, true);
  v.setUint32(extOffset + 4, hwcapsNames.length === 0 ? 1 : 2, true);
  v.setUint32(extOffset + 8, EXTENSION_TAG_GENERATOR, true);
  v.setUint32(extOffset + 16, generatorOffset, true);
  v.setUint32(extOffset + 20, generatorBytes.length, true);
  if (hwcapsNames.length > 0) {
    v.setUint32(extOffset + 24, EXTENSION_TAG_GLIBC_HWCAPS, true);
    v.setUint32(extOffset + 32, hwcapsOffset, true);
    v.setUint32(extOffset + 36, hwcapsSize, true);
    hwcapsNames.forEach((n, i) => {
      v.setUint32(hwcapsOffset + 4 * i, strBase + off(n), true);
    });
  }
  out.set(generatorBytes, generatorOffset);
  return out;
}

function align4(n: number): number {
  return (n + 3) & ~3;
}
