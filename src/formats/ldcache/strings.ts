/** A finished string table: the bytes, and each string's offset in them. */
export interface StringTable {
  bytes: Uint8Array;
  offsets: Map<string, number>;
}

const utf8 = new TextEncoder();

/**
 * Lays out strings as glibc's ldconfig does (elf/stringtable.c `stringtable_finalize`): sorted by their reversed
 * bytes, longest first among equal tails, and a string that is the tail of the one before it shares its bytes.
 * Matching this order makes our cache byte-identical to ldconfig's for the same libraries.
 */
export function buildStringTable(strings: Iterable<string>): StringTable {
  const items = [...new Set(strings)].map((s) => ({ s, b: utf8.encode(s), offset: 0 }));
  items.sort((l, r) => {
    const n = Math.min(l.b.length, r.b.length);
    for (let i = 1; i <= n; i++) {
      const lc = l.b[l.b.length - i] ?? 0;
      const rc = r.b[r.b.length - i] ?? 0;
      if (lc !== rc) return rc - lc;
    }
    return r.b.length - l.b.length;
  });
  let size = 0;
  for (let j = 0; j < items.length; j++) {
    const cur = items[j];
    const prev = items[j - 1];
    if (cur === undefined) continue;
    if (prev === undefined) cur.offset = 0;
    else if (prev.b.length >= cur.b.length && endsWith(prev.b, cur.b))
      cur.offset = prev.offset + prev.b.length - cur.b.length;
    else cur.offset = prev.offset + prev.b.length + 1;
    size = Math.max(size, cur.offset + cur.b.length + 1);
  }
  const bytes = new Uint8Array(size);
  const offsets = new Map<string, number>();
  for (const it of items) {
    bytes.set(it.b, it.offset);
    offsets.set(it.s, it.offset);
  }
  return { bytes, offsets };
}

function endsWith(a: Uint8Array, tail: Uint8Array): boolean {
  const d = a.length - tail.length;
  for (let i = 0; i < tail.length; i++) if (a[d + i] !== tail[i]) return false;
  return true;
}
