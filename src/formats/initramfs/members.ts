import { Readable } from "node:stream";
import { createInflateRaw } from "node:zlib";
import { FormatError } from "../../io/errors.js";
import { type ByteSource, SliceSource, streamSource } from "../../io/source.js";
import { type Compression, LZ4_LEGACY_MAGIC } from "../compress/magic.js";

/**
 * How many bytes of `src`, from `at`, the kernel's decompressor for `kind` consumes in one call from
 * unpack_to_rootfs (init/initramfs.c), found by walking the framing without decompressing (except gzip,
 * which has no length framing). That is one zstd frame, one xz stream without its padding, one gzip member,
 * or an lz4 legacy run that may hold several legacy streams back to back; the cpio data must end between
 * entries at the end of each call.
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

/** A part of `length` bytes at `at` must lie inside the file. */
function within(src: ByteSource, at: number, length: number, what: string): void {
  if (length > src.size - at)
    throw new FormatError(src.name, at, what, `${length} bytes`, `end of input at ${src.size}`);
}

/**
 * RFC 8878: frame header, then blocks with 3-byte headers, then an optional checksum. Returns the end.
 * unzstd (lib/decompress_unzstd.c) stops when ZSTD_decompressStream reports this frame complete; a frame
 * after it is the next call's.
 */
async function zstdFrame(src: ByteSource, at: number): Promise<number> {
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
    const length = 3 + (type === 1 ? 1 : v >> 3);
    within(src, pos, length, "zstd block");
    pos += length;
    if (v & 1) break;
  }
  return pos + ((fhd >> 2) & 1 ? 4 : 0);
}

const CHECK_SIZE = [0, 4, 4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32, 64, 64, 64];

/**
 * .xz: header, blocks walked chunk by chunk through LZMA2, index, footer. Returns the end of the footer:
 * unxz (lib/decompress_unxz.c) stops when xz_dec_run reports the stream's end, so stream padding is left to
 * unpack_to_rootfs, which skips NULs one by one.
 */
async function xzStream(src: ByteSource, start: number): Promise<number> {
  const header = await src.read(start, 12, "xz stream header");
  const check = CHECK_SIZE[(header[7] as number) & 15] as number;
  let pos = start + 12;
  const pad4 = (p: number) => start + ((p - start + 3) & ~3);
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
      let length: number;
      if (c === 1 || c === 2) {
        const s = await src.read(pos + 1, 2, "LZMA2 chunk size");
        length = 3 + (((s[0] as number) << 8) | (s[1] as number)) + 1;
      } else if (c >= 0x80) {
        const s = await src.read(pos + 3, 2, "LZMA2 chunk size");
        length = 5 + (c >= 0xc0 ? 1 : 0) + (((s[0] as number) << 8) | (s[1] as number)) + 1;
      } else throw new FormatError(src.name, pos, "LZMA2 chunk control", "0, 1, 2 or 0x80-0xFF", String(c));
      within(src, pos, length, "LZMA2 chunk");
      pos += length;
    }
    pos = pad4(pos) + check;
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
  return p + 12;
}

/**
 * gzip has no length framing: inflate the deflate data once to learn where it ends, as a stream whose output
 * is dropped as it comes (a member may inflate to gigabytes).
 */
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
  const inflate = createInflateRaw();
  const input = Readable.from(streamSource(new SliceSource(src, pos, src.size - pos, src.name)), { highWaterMark: 1 });
  input.on("error", (err) => inflate.destroy(err));
  try {
    // zlib ends its output where the deflate data ends, however much input follows.
    for await (const _ of input.pipe(inflate)) {
      // Only where that is matters.
    }
  } catch (err) {
    if (err instanceof FormatError) throw err;
    const stopped = pos + inflate.bytesWritten;
    throw new FormatError(src.name, stopped, "deflate data", "valid deflate data", (err as Error).message);
  } finally {
    input.destroy();
    inflate.destroy();
  }
  return pos + inflate.bytesWritten + 8;
}

/**
 * unlz4 (lib/decompress_unlz4.c) given the whole input: the magic, then chunks of a u32 LE size and that
 * many bytes. A further magic is skipped, so legacy streams back to back are one call; the call ends at a
 * chunk size of 0 (NUL padding, which unpack_to_rootfs then skips) or with fewer than 4 bytes left.
 */
async function lz4Legacy(src: ByteSource, at: number): Promise<number> {
  let pos = at + 4;
  while (pos + 4 <= src.size) {
    const n = u32(await src.read(pos, 4, "lz4 legacy chunk size"));
    if (n === 0) break;
    if (n === LZ4_LEGACY_MAGIC) {
      pos += 4;
      continue;
    }
    within(src, pos, 4 + n, "lz4 legacy chunk");
    pos += 4 + n;
  }
  return pos - at;
}
