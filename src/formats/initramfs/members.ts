import { inflateRawSync } from "node:zlib";
import { FormatError } from "../../errors.js";
import type { ByteSource } from "../../io/source.js";
import type { Compression } from "../compress/magic.js";

/**
 * How many bytes of `src`, from `at`, one compressed member (a zstd frame, an xz stream with its padding, a
 * gzip member, an lz4 legacy run) occupies, found by walking its framing without decompressing (except gzip,
 * which has no length framing). The kernel would decode members of one format that follow each other in one
 * call; they are listed apart because the imager appends each archive as its own member, and each holds a
 * whole cpio archive.
 */
export async function memberLength(kind: Compression, src: ByteSource, at: number): Promise<number> {
  switch (kind) {
    case "zstd":
      return (await zstdFrame(src, at)) - at;
    case "xz":
      return (await xzStream(src, at)) - at;
    case "gzip":
      return (await gzipMember(src, at)) - at;
    case "lz4-legacy":
      return lz4Legacy(src, at);
    default:
      throw new FormatError(src.name, at, "initramfs member", "gzip, zstd, xz or lz4 legacy", kind);
  }
}

const u32 = (b: Uint8Array, o = 0) => new DataView(b.buffer, b.byteOffset, b.length).getUint32(o, true);

/** RFC 8878: frame header, then blocks with 3-byte headers, then an optional checksum. Returns the end. */
async function zstdFrame(src: ByteSource, at: number): Promise<number> {
  const magic = u32(await src.read(at, 4, "zstd magic"));
  if (magic >= 0x184d2a50 && magic <= 0x184d2a5f)
    return at + 8 + u32(await src.read(at + 4, 4, "skippable frame size"));
  const fhd = (await src.read(at + 4, 1, "zstd frame header"))[0] as number;
  const single = (fhd >> 5) & 1;
  const fcs = [single ? 1 : 0, 2, 4, 8][fhd >> 6] as number;
  const dict = [0, 1, 2, 4][fhd & 3] as number;
  let pos = at + 5 + (single ? 0 : 1) + dict + fcs;
  for (;;) {
    const h = await src.read(pos, 3, "zstd block header");
    const v = (h[0] as number) | ((h[1] as number) << 8) | ((h[2] as number) << 16);
    const type = (v >> 1) & 3;
    if (type === 3)
      throw new FormatError(src.name, pos, "zstd block header", "block type 0, 1 or 2", "reserved type 3");
    pos += 3 + (type === 1 ? 1 : v >> 3);
    if (pos > src.size) throw new FormatError(src.name, pos, "zstd block", "a block inside the file", "end of input");
    if (v & 1) break;
  }
  return pos + ((fhd >> 2) & 1 ? 4 : 0);
}

const CHECK_SIZE = [0, 4, 4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32, 64, 64, 64];

/** .xz: header, blocks walked chunk by chunk through LZMA2, index, footer. Returns the end. */
async function xzStream(src: ByteSource, start: number): Promise<number> {
  const header = await src.read(start, 12, "xz stream header");
  const check = CHECK_SIZE[(header[7] as number) & 15] as number;
  let pos = start + 12;
  const pad4 = (p: number) => start + ((p - start + 3) & ~3);
  let blocks = 0;
  for (;;) {
    const b0 = (await src.read(pos, 1, "xz block header"))[0] as number;
    if (b0 === 0) break; // index indicator
    pos += (b0 + 1) * 4;
    for (;;) {
      const c = (await src.read(pos, 1, "LZMA2 chunk control"))[0] as number;
      if (c === 0) {
        pos += 1;
        break;
      }
      if (c === 1 || c === 2) {
        const s = await src.read(pos + 1, 2, "LZMA2 chunk size");
        pos += 3 + (((s[0] as number) << 8) | (s[1] as number)) + 1;
      } else if (c >= 0x80) {
        const s = await src.read(pos + 3, 2, "LZMA2 chunk size");
        pos += 5 + (c >= 0xc0 ? 1 : 0) + (((s[0] as number) << 8) | (s[1] as number)) + 1;
      } else throw new FormatError(src.name, pos, "LZMA2 chunk control", "0, 1, 2 or 0x80-0xFF", String(c));
      if (pos > src.size)
        throw new FormatError(src.name, pos, "LZMA2 chunk", "a chunk inside the file", "end of input");
    }
    pos = pad4(pos) + check;
    if (++blocks > src.size) throw new FormatError(src.name, pos, "xz blocks", "a bounded number of blocks");
  }
  // The index: indicator, count, records, padding, CRC32; its size is also in the footer.
  const footerAt = async (p: number) => {
    const f = await src.read(p, 12, "xz stream footer");
    if (f[10] !== 0x59 || f[11] !== 0x5a) throw new FormatError(src.name, p + 10, "xz stream footer", "magic YZ");
    return f;
  };
  const varint = async (p: number): Promise<[number, number]> => {
    let v = 0;
    for (let i = 0; i < 9; i++) {
      const b = (await src.read(p + i, 1, "xz index"))[0] as number;
      v += (b & 0x7f) * 2 ** (7 * i);
      if (!(b & 0x80)) return [v, p + i + 1];
    }
    throw new FormatError(src.name, p, "xz index varint", "at most 9 bytes");
  };
  let [count, p] = await varint(pos + 1);
  for (let i = 0; i < count * 2; i++) [, p] = await varint(p);
  p = pad4(p) + 4;
  const footer = await footerAt(p);
  const backward = (u32(footer, 4) + 1) * 4;
  if (backward !== p - pos)
    throw new FormatError(src.name, p + 4, "xz backward size", String(p - pos), String(backward));
  p += 12;
  // Stream padding: NULs in multiples of four, then maybe another stream.
  while (p + 4 <= src.size && u32(await src.read(p, 4, "xz stream padding")) === 0) p += 4;
  return p;
}

/** gzip has no length framing: inflate the deflate data once to learn where it ends. */
async function gzipMember(src: ByteSource, at: number): Promise<number> {
  const head = await src.read(at, 10, "gzip header");
  const flg = head[3] as number;
  let pos = at + 10;
  if (flg & 4) {
    const x = await src.read(pos, 2, "gzip FEXTRA length");
    pos += 2 + (x[0] as number) + (x[1] as number) * 256;
  }
  for (const bit of [8, 16]) {
    if (flg & bit) {
      while ((await src.read(pos, 1, "gzip header string"))[0] !== 0) pos++;
      pos++;
    }
  }
  if (flg & 2) pos += 2;
  const rest = await src.read(pos, src.size - pos, "deflate data");
  try {
    const r = inflateRawSync(rest, { info: true }) as unknown as { engine: { bytesWritten: number } };
    return pos + r.engine.bytesWritten + 8;
  } catch (err) {
    throw new FormatError(src.name, pos, "deflate data", "valid deflate data", (err as Error).message);
  }
}

/** The kernel's lz4 legacy format: magic, then u32 block sizes; ends at the input's end or a zero/oversized size. */
async function lz4Legacy(src: ByteSource, at: number): Promise<number> {
  let pos = at + 4;
  const bound = (8 << 20) + (8 << 20) / 255 + 16;
  while (pos + 4 <= src.size) {
    const n = u32(await src.read(pos, 4, "lz4 block size"));
    if (n === 0x184c2102) pos += 4;
    else if (n === 0 || n > bound) break;
    else pos += 4 + n;
  }
  if (pos > src.size)
    throw new FormatError(src.name, pos, "lz4 legacy block", "a block inside the file", "end of input");
  return pos - at;
}
