/**
 * Where the header, length, count and offset fields of each format are in a seed, found by a walk of the
 * seed written here apart from the readers (so that a reader's bug does not hide its own fields). A walk stops
 * quietly at the first thing it does not understand: the fields found up to there are still useful.
 */
import type { Field } from "./mutator.js";

const dv = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);

function uint(b: Uint8Array, o: number, size: number, big = false): number {
  if (o < 0 || o + size > b.length) return 0;
  const v = dv(b);
  switch (size) {
    case 1:
      return b[o] as number;
    case 2:
      return v.getUint16(o, !big);
    case 4:
      return v.getUint32(o, !big);
    default:
      return Number(v.getBigUint64(o, !big));
  }
}

const latin1 = new TextDecoder("latin1");

/** ustar headers: every member's size, mode, typeflag, link name and magic; the checksum is fixed after. */
export function tarHeaders(b: Uint8Array): number[] {
  const out: number[] = [];
  let at = 0;
  while (at + 512 <= b.length && out.length < 10_000) {
    const block = b.subarray(at, at + 512);
    if (block.every((x) => x === 0)) break;
    const sizeText = latin1.decode(block.subarray(124, 136)).replace(/[^0-7]/g, "");
    const size = (block[124] as number) & 0x80 ? 0 : Number.parseInt(sizeText || "0", 8);
    if (!Number.isFinite(size)) break;
    out.push(at);
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

export function tarFields(b: Uint8Array): Field[] {
  return tarHeaders(b).flatMap((at) => [
    { offset: at + 100, size: 7, text: 8 as const, name: "mode" },
    { offset: at + 124, size: 11, text: 8 as const, name: "size" },
    { offset: at + 124, size: 1, name: "size (base-256 marker)" },
    { offset: at + 136, size: 11, text: 8 as const, name: "mtime" },
    { offset: at + 156, size: 1, name: "typeflag" },
    { offset: at + 157, size: 1, name: "linkname" },
    { offset: at + 257, size: 1, name: "magic" },
    { offset: at + 329, size: 7, text: 8 as const, name: "devmajor" },
    { offset: at + 345, size: 1, name: "prefix" },
    { offset: at + 0, size: 1, name: "name" },
    { offset: at + 99, size: 1, name: "name end" },
  ]);
}

/** Recomputes the checksum of each header a walk of the seed found, so that mutations get past it. */
export function fixTarChecksums(b: Uint8Array, headers: readonly number[]): void {
  for (const at of headers) {
    if (at + 512 > b.length) continue;
    b.fill(0x20, at + 148, at + 156);
    let sum = 0;
    for (let k = 0; k < 512; k++) sum += b[at + k] as number;
    const text = `${sum.toString(8).padStart(6, "0")}\0 `;
    for (let k = 0; k < 8; k++) b[at + 148 + k] = text.charCodeAt(k);
  }
}

/** newc/crc headers: 13 eight-digit hex fields after the magic, then the name and the data, 4-byte aligned. */
export function cpioFields(b: Uint8Array, base = 0): Field[] {
  const out: Field[] = [];
  let at = base;
  while (at + 110 <= b.length && out.length < 20_000) {
    if (latin1.decode(b.subarray(at, at + 5)) !== "07070") break;
    const hexAt = (i: number) => Number.parseInt(latin1.decode(b.subarray(at + 6 + 8 * i, at + 14 + 8 * i)), 16);
    for (let i = 0; i < 13; i++) out.push({ offset: at + 6 + 8 * i, size: 8, text: 16 });
    out.push({ offset: at + 5, size: 1, name: "magic" });
    const size = hexAt(6);
    const namesize = hexAt(11);
    if (!Number.isFinite(size) || !Number.isFinite(namesize)) break;
    const name = latin1.decode(b.subarray(at + 110, at + 110 + namesize));
    const dataAt = Math.ceil((at + 110 + namesize - base) / 4) * 4 + base;
    at = Math.ceil((dataAt + size - base) / 4) * 4 + base;
    if (name.startsWith("TRAILER!!!")) break;
  }
  return out;
}

/** ELF header, section headers and program headers, either class and byte order. */
export function elfFields(b: Uint8Array): Field[] {
  if (b.length < 52 || b[0] !== 0x7f || b[1] !== 0x45) return [];
  const is64 = b[4] === 2;
  const big = b[5] === 2;
  const f = (offset: number, size: number, name: string): Field => ({ offset, size, bigEndian: big, name });
  const out: Field[] = [
    { offset: 4, size: 1, name: "EI_CLASS" },
    { offset: 5, size: 1, name: "EI_DATA" },
  ];
  const w = is64 ? 8 : 4;
  const phoff = uint(b, is64 ? 0x20 : 0x1c, w, big);
  const shoff = uint(b, is64 ? 0x28 : 0x20, w, big);
  const h = is64 ? 0x34 : 0x28;
  const phentsize = uint(b, h + 2, 2, big);
  const phnum = uint(b, h + 4, 2, big);
  const shentsize = uint(b, h + 6, 2, big);
  const shnum = uint(b, h + 8, 2, big);
  out.push(
    f(0x10, 2, "e_type"),
    f(0x12, 2, "e_machine"),
    f(is64 ? 0x20 : 0x1c, w, "e_phoff"),
    f(is64 ? 0x28 : 0x20, w, "e_shoff"),
    f(h, 2, "e_ehsize"),
    f(h + 2, 2, "e_phentsize"),
    f(h + 4, 2, "e_phnum"),
    f(h + 6, 2, "e_shentsize"),
    f(h + 8, 2, "e_shnum"),
    f(h + 10, 2, "e_shstrndx"),
  );
  for (let i = 0; i < Math.min(shnum, 4096); i++) {
    const s = shoff + i * shentsize;
    if (s + shentsize > b.length || shentsize === 0) break;
    out.push(f(s, 4, "sh_name"), f(s + 4, 4, "sh_type"));
    if (is64) out.push(f(s + 0x18, 8, "sh_offset"), f(s + 0x20, 8, "sh_size"), f(s + 0x28, 4, "sh_link"));
    else out.push(f(s + 0x10, 4, "sh_offset"), f(s + 0x14, 4, "sh_size"), f(s + 0x18, 4, "sh_link"));
    out.push(f(s + (is64 ? 0x38 : 0x24), w, "sh_entsize"));
  }
  for (let i = 0; i < Math.min(phnum, 4096); i++) {
    const p = phoff + i * phentsize;
    if (p + phentsize > b.length || phentsize === 0) break;
    out.push(f(p, 4, "p_type"));
    if (is64) out.push(f(p + 8, 8, "p_offset"), f(p + 0x20, 8, "p_filesz"));
    else out.push(f(p + 4, 4, "p_offset"), f(p + 0x10, 4, "p_filesz"));
  }
  return out;
}

/** DER: every tag byte and length field, recursively into constructed values (and OCTET/BIT STRINGs that parse). */
export function derFields(b: Uint8Array, start = 0, end = b.length, depth = 0, out: Field[] = []): Field[] {
  let at = start;
  while (at + 2 <= end && depth < 32 && out.length < 5000) {
    const tag = b[at] as number;
    const first = b[at + 1] as number;
    let len: number;
    let header: number;
    out.push({ offset: at, size: 1, name: "tag" });
    if (first < 0x80) {
      len = first;
      header = 2;
      out.push({ offset: at + 1, size: 1, name: "length" });
    } else {
      const n = first & 0x7f;
      if (n === 0 || n > 4 || at + 2 + n > end) return out;
      out.push({ offset: at + 1, size: 1, name: "length of length" });
      out.push({ offset: at + 2, size: n, bigEndian: true, name: "length" });
      len = uint(b, at + 2, n, true);
      header = 2 + n;
    }
    const contentEnd = at + header + len;
    if (contentEnd > end) return out;
    if (tag & 0x20) derFields(b, at + header, contentEnd, depth + 1, out);
    else if ((tag === 0x04 || tag === 0x03) && len > 2) {
      const inner = tag === 0x03 ? at + header + 1 : at + header;
      if (b[inner] === 0x30) derFields(b, inner, contentEnd, depth + 1, out);
    }
    at = contentEnd;
  }
  return out;
}

const MARKER = "~Module signature appended~\n";

/** The signature trailer of a signed module: struct module_signature and the PKCS#7 before it. */
export function moduleSigFields(b: Uint8Array): Field[] {
  const tail = latin1.decode(b.subarray(Math.max(0, b.length - MARKER.length)));
  if (tail !== MARKER) return [];
  const info = b.length - MARKER.length - 12;
  const sigLen = uint(b, info + 8, 4, true);
  const out: Field[] = [
    { offset: info, size: 1, name: "algo" },
    { offset: info + 1, size: 1, name: "hash" },
    { offset: info + 2, size: 1, name: "id_type" },
    { offset: info + 3, size: 1, name: "signer_len" },
    { offset: info + 4, size: 1, name: "key_id_len" },
    { offset: info + 8, size: 4, bigEndian: true, name: "sig_len" },
  ];
  if (sigLen <= info) derFields(b, info - sigLen, info, 0, out);
  return out;
}

/** The DOS stub's e_lfanew, the COFF header, the optional header's sizes and directories, the section table. */
export function peFields(b: Uint8Array): Field[] {
  if (b.length < 0x40 || b[0] !== 0x4d || b[1] !== 0x5a) return [];
  const pe = uint(b, 0x3c, 4);
  const out: Field[] = [{ offset: 0x3c, size: 4, name: "e_lfanew" }];
  if (pe + 24 > b.length) return out;
  out.push(
    { offset: pe, size: 1, name: "PE signature" },
    { offset: pe + 6, size: 2, name: "NumberOfSections" },
    { offset: pe + 20, size: 2, name: "SizeOfOptionalHeader" },
  );
  const opt = pe + 24;
  const plus = uint(b, opt, 2) === 0x20b;
  const nDirsAt = opt + (plus ? 108 : 92);
  const dirs = opt + (plus ? 112 : 96);
  out.push(
    { offset: opt, size: 2, name: "optional header magic" },
    { offset: opt + 60, size: 4, name: "SizeOfHeaders" },
    { offset: nDirsAt, size: 4, name: "NumberOfRvaAndSizes" },
  );
  for (let i = 0; i < 16; i++) {
    out.push({ offset: dirs + 8 * i, size: 4, name: `directory ${i} address` });
    out.push({ offset: dirs + 8 * i + 4, size: 4, name: `directory ${i} size` });
  }
  const sections = opt + uint(b, pe + 20, 2);
  const n = uint(b, pe + 6, 2);
  for (let i = 0; i < Math.min(n, 96); i++) {
    const s = sections + 40 * i;
    if (s + 40 > b.length) break;
    out.push(
      { offset: s, size: 1, name: "section name" },
      { offset: s + 8, size: 4, name: "VirtualSize" },
      { offset: s + 12, size: 4, name: "VirtualAddress" },
      { offset: s + 16, size: 4, name: "SizeOfRawData" },
      { offset: s + 20, size: 4, name: "PointerToRawData" },
    );
  }
  // The certificate table: WIN_CERTIFICATE headers, and the PKCS#7 inside.
  const certAt = uint(b, dirs + 32, 4);
  const certSize = uint(b, dirs + 36, 4);
  if (certAt > 0 && certAt + certSize <= b.length && certSize >= 8) {
    out.push({ offset: certAt, size: 4, name: "dwLength" }, { offset: certAt + 6, size: 2, name: "wCertificateType" });
    derFields(b, certAt + 8, Math.min(b.length, certAt + uint(b, certAt, 4)), 0, out);
  }
  return out;
}

/** bzImage setup header, or zboot's header (and its PE fields). */
export function kernelFields(b: Uint8Array): Field[] {
  if (latin1.decode(b.subarray(4, 8)) === "zimg") {
    return [
      { offset: 4, size: 1, name: "zimg magic" },
      { offset: 8, size: 4, name: "payload offset" },
      { offset: 12, size: 4, name: "payload size" },
      { offset: 0x18, size: 1, name: "compression name" },
      ...peFields(b),
    ];
  }
  const setup = ((b[0x1f1] as number) + 1) * 512;
  const payload = setup + uint(b, 0x248, 4);
  return [
    { offset: 0x1f1, size: 1, name: "setup_sects" },
    { offset: 0x1f4, size: 4, name: "syssize" },
    { offset: 0x1fe, size: 2, name: "boot_flag" },
    { offset: 0x202, size: 4, name: "HdrS" },
    { offset: 0x206, size: 2, name: "version" },
    { offset: 0x20e, size: 2, name: "kernel_version" },
    { offset: 0x211, size: 1, name: "loadflags" },
    { offset: 0x248, size: 4, name: "payload_offset" },
    { offset: 0x24c, size: 4, name: "payload_length" },
    { offset: 0x260, size: 4, name: "init_size" },
    { offset: payload, size: 4, name: "payload magic" },
    { offset: payload + 4, size: 4, name: "payload header" },
    { offset: payload + 8, size: 4, name: "payload header" },
  ];
}

/** ld.so.cache: the old header and entries, the new header, entries and extension directory. */
export function ldcacheFields(b: Uint8Array): Field[] {
  const out: Field[] = [];
  const magic = latin1.decode(b.subarray(0, 20));
  let newAt = -1;
  if (magic.startsWith("ld.so-1.7.0")) {
    const n = uint(b, 12, 4);
    out.push({ offset: 12, size: 4, name: "nlibs (old)" });
    for (let i = 0; i < Math.min(n, 2000); i++) {
      const e = 16 + 12 * i;
      out.push({ offset: e, size: 4, name: "flags" }, { offset: e + 4, size: 4 }, { offset: e + 8, size: 4 });
    }
    const end = 16 + 12 * n;
    newAt = Math.ceil(end / 8) * 8;
    if (latin1.decode(b.subarray(newAt, newAt + 20)) !== "glibc-ld.so.cache1.1") newAt = -1;
  } else if (magic === "glibc-ld.so.cache1.1") newAt = 0;
  if (newAt < 0) return out;
  const n = uint(b, newAt + 20, 4);
  out.push(
    { offset: newAt + 20, size: 4, name: "nlibs" },
    { offset: newAt + 24, size: 4, name: "len_strings" },
    { offset: newAt + 28, size: 1, name: "flags" },
    { offset: newAt + 32, size: 4, name: "extension_offset" },
  );
  for (let i = 0; i < Math.min(n, 2000); i++) {
    const e = newAt + 48 + 24 * i;
    out.push(
      { offset: e, size: 4, name: "flags" },
      { offset: e + 4, size: 4, name: "key" },
      { offset: e + 8, size: 4, name: "value" },
      { offset: e + 16, size: 8, name: "hwcap" },
    );
  }
  const ext = uint(b, newAt + 32, 4);
  if (ext > 0 && ext + 8 <= b.length) {
    out.push({ offset: ext, size: 4, name: "extension magic" }, { offset: ext + 4, size: 4, name: "count" });
    const count = uint(b, ext + 4, 4);
    for (let i = 0; i < Math.min(count, 16); i++) {
      const s = ext + 8 + 16 * i;
      out.push(
        { offset: s, size: 4, name: "tag" },
        { offset: s + 8, size: 4, name: "section offset" },
        { offset: s + 12, size: 4, name: "section size" },
      );
    }
  }
  return out;
}

/** SquashFS: the superblock fields and every table's index (the u64 block pointers after each table start). */
export function squashfsFields(b: Uint8Array): Field[] {
  if (b.length < 96 || uint(b, 0, 4) !== 0x73717368) return [];
  const out: Field[] = [
    { offset: 0x04, size: 4, name: "inode_count" },
    { offset: 0x0c, size: 4, name: "block_size" },
    { offset: 0x10, size: 4, name: "fragment_count" },
    { offset: 0x14, size: 2, name: "compressor" },
    { offset: 0x16, size: 2, name: "block_log" },
    { offset: 0x18, size: 2, name: "flags" },
    { offset: 0x1a, size: 2, name: "id_count" },
    { offset: 0x20, size: 8, name: "root_inode" },
    { offset: 0x28, size: 8, name: "bytes_used" },
    { offset: 0x30, size: 8, name: "id_table_start" },
    { offset: 0x38, size: 8, name: "xattr_id_table_start" },
    { offset: 0x40, size: 8, name: "inode_table_start" },
    { offset: 0x48, size: 8, name: "directory_table_start" },
    { offset: 0x50, size: 8, name: "fragment_table_start" },
    { offset: 0x58, size: 8, name: "export_table_start" },
  ];
  for (const at of [0x30, 0x50, 0x58]) {
    const start = uint(b, at, 8);
    if (start > 0 && start + 8 <= b.length) out.push({ offset: start, size: 8, name: "table index" });
  }
  const xattr = uint(b, 0x38, 8);
  if (xattr > 0 && xattr + 24 <= b.length) {
    out.push(
      { offset: xattr, size: 8, name: "xattr kv start" },
      { offset: xattr + 8, size: 4, name: "xattr ids" },
      { offset: xattr + 16, size: 8, name: "xattr id index" },
    );
  }
  // Metadata block headers of the inode and directory tables (length and the uncompressed bit).
  for (const [startAt, endAt] of [
    [0x40, 0x48],
    [0x48, 0x50],
  ] as const) {
    let at = uint(b, startAt, 8);
    const end = Math.min(b.length, uint(b, endAt, 8) || b.length);
    for (let k = 0; at + 2 <= end && k < 256; k++) {
      out.push({ offset: at, size: 2, name: "metadata header" });
      at += 2 + (uint(b, at, 2) & 0x7fff);
    }
  }
  // Uncompressed metadata (mksquashfs -noI -noD): every aligned u16/u32 of the first inode and directory blocks.
  for (const startAt of [0x40, 0x48]) {
    const at = uint(b, startAt, 8);
    if (at + 2 <= b.length && (uint(b, at, 2) & 0x8000) !== 0) {
      const len = Math.min(uint(b, at, 2) & 0x7fff, 2048);
      for (let k = 0; k + 4 <= len; k += 4) out.push({ offset: at + 2 + k, size: k % 8 === 0 ? 4 : 2 });
    }
  }
  return out;
}

/** zstd frames: the frame header descriptor and window byte, and every block header (3 bytes: last, type, size). */
export function zstdFields(b: Uint8Array): Field[] {
  const out: Field[] = [];
  let at = 0;
  while (at + 6 <= b.length && out.length < 5000) {
    const magic = uint(b, at, 4);
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      out.push({ offset: at + 4, size: 4, name: "skippable size" });
      at += 8 + uint(b, at + 4, 4);
      continue;
    }
    if (magic !== 0xfd2fb528) break;
    const fhd = b[at + 4] as number;
    out.push({ offset: at + 4, size: 1, name: "frame header descriptor" });
    const single = (fhd >> 5) & 1;
    const fcsSize = [single ? 1 : 0, 2, 4, 8][fhd >> 6] as number;
    const didSize = [0, 1, 2, 4][fhd & 3] as number;
    let h = at + 5;
    if (!single) out.push({ offset: h++, size: 1, name: "window descriptor" });
    if (didSize > 0) out.push({ offset: h, size: didSize, name: "dictionary id" });
    h += didSize;
    if (fcsSize > 0) out.push({ offset: h, size: Math.min(fcsSize, 8), name: "frame content size" });
    h += fcsSize;
    for (;;) {
      if (h + 3 > b.length) return out;
      out.push({ offset: h, size: 3, name: "block header" }, { offset: h + 3, size: 1, name: "literals header" });
      const bh = uint(b, h, 2) | ((b[h + 2] as number) << 16);
      const type = (bh >> 1) & 3;
      h += 3 + (type === 1 ? 1 : bh >>> 3);
      if (bh & 1) break;
    }
    if ((fhd >> 2) & 1) h += 4;
    at = h;
  }
  return out;
}

/** lz4 frames (FLG, BD, content size, header checksum, block sizes) or the legacy format's block sizes. */
export function lz4Fields(b: Uint8Array): Field[] {
  const out: Field[] = [];
  let at = 0;
  while (at + 7 <= b.length && out.length < 5000) {
    const magic = uint(b, at, 4);
    if (magic === 0x184c2102) {
      for (let h = at + 4; h + 4 <= b.length && out.length < 5000; h += 4 + uint(b, h, 4)) {
        out.push({ offset: h, size: 4, name: "legacy block size" });
        if (uint(b, h, 4) === 0x184c2102) break;
      }
      return out;
    }
    if (magic !== 0x184d2204) break;
    const flg = b[at + 4] as number;
    out.push({ offset: at + 4, size: 1, name: "FLG" }, { offset: at + 5, size: 1, name: "BD" });
    let h = at + 6;
    if (flg & 0x08) out.push({ offset: h, size: 8, name: "content size" });
    h += flg & 0x08 ? 8 : 0;
    if (flg & 0x01) h += 4;
    out.push({ offset: h, size: 1, name: "header checksum" });
    h += 1;
    for (;;) {
      if (h + 4 > b.length) return out;
      const size = uint(b, h, 4);
      out.push({ offset: h, size: 4, name: "block size" });
      h += 4;
      if (size === 0) break;
      h += (size & 0x7fffffff) + (flg & 0x10 ? 4 : 0);
    }
    if (flg & 0x04) h += 4;
    at = h;
  }
  return out;
}
