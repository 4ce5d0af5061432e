import { FormatError } from "../../io/errors.js";

export const BLOCK = 512;

/** One 512-byte header block as written, before PAX records or GNU long names are applied. */
export interface RawHeader {
  readonly name: string;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly mtime: number;
  readonly typeflag: string;
  readonly linkname: string;
  readonly devmajor: number;
  readonly devminor: number;
}

const latin1 = new TextDecoder("latin1");
const utf8 = new TextDecoder("utf-8");

/** A NUL-terminated field. Names are UTF-8 in practice (PAX requires it; GNU tar and Go write the bytes they got). */
function str(b: Uint8Array, off: number, len: number): string {
  const field = b.subarray(off, off + len);
  const nul = field.indexOf(0);
  return utf8.decode(nul < 0 ? field : field.subarray(0, nul));
}

/**
 * Octal padded with spaces or NULs, or GNU base-256 when the high bit of the first byte is set (sizes of
 * 8 GiB and more, ids over 2^21, times before 1970 as two's complement).
 */
function num(b: Uint8Array, off: number, len: number, file: string, at: number, what: string): number {
  const first = b[off] as number;
  if (first & 0x80) {
    const negative = (first & 0x40) !== 0;
    let v = negative ? (first & 0x7f) - 0x80 : first & 0x7f;
    for (let i = 1; i < len; i++) v = v * 256 + (b[off + i] as number);
    if (!Number.isSafeInteger(v)) throw new FormatError(file, at + off, `tar ${what}`, "a number within ±2^53");
    return v;
  }
  const text = latin1.decode(b.subarray(off, off + len)).replace(/^[\0 ]+|[\0 ]+$/g, "");
  if (text === "") return 0;
  if (!/^[0-7]+$/.test(text))
    throw new FormatError(file, at + off, `tar ${what}`, "an octal number", JSON.stringify(text));
  return Number.parseInt(text, 8);
}

export const isZeroBlock = (b: Uint8Array): boolean => b.every((x) => x === 0);

/**
 * Parses one header block at absolute offset `at` of `file`. The checksum is accepted as the unsigned or the
 * signed byte sum, as Go's archive/tar (and so Docker) accepts both; old Sun and BSD tars wrote the signed one.
 */
export function parseHeader(b: Uint8Array, file: string, at: number): RawHeader {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const x = i >= 148 && i < 156 ? 0x20 : (b[i] as number);
    unsigned += x;
    signed += x > 127 ? x - 256 : x;
  }
  const stored = num(b, 148, 8, file, at, "checksum");
  if (stored !== unsigned && stored !== signed) {
    throw new FormatError(file, at, "tar header", `checksum ${unsigned}`, String(stored));
  }
  const magic = latin1.decode(b.subarray(257, 265));
  // POSIX ustar splits long names over `prefix`; GNU tar's "ustar  \0" header keeps times there instead.
  const posix = magic === "ustar\u000000";
  const gnu = magic === "ustar  \u0000";
  const name = str(b, 0, 100);
  const prefix = posix ? str(b, 345, 155) : "";
  return {
    name: prefix ? `${prefix}/${name}` : name,
    mode: num(b, 100, 8, file, at, "mode"),
    uid: num(b, 108, 8, file, at, "uid"),
    gid: num(b, 116, 8, file, at, "gid"),
    size: num(b, 124, 12, file, at, "size"),
    mtime: num(b, 136, 12, file, at, "mtime"),
    typeflag: String.fromCharCode(b[156] as number),
    linkname: str(b, 157, 100),
    devmajor: posix || gnu ? num(b, 329, 8, file, at, "devmajor") : 0,
    devminor: posix || gnu ? num(b, 337, 8, file, at, "devminor") : 0,
  };
}

/** PAX extended header records, `LEN key=value\n`; values stay bytes (xattr values are binary). */
export function parsePax(data: Uint8Array, file: string, at: number): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  let pos = 0;
  while (pos < data.length) {
    // Writers pad the last block with NULs after the records.
    if (data[pos] === 0) break;
    const space = data.indexOf(0x20, pos);
    const lenText = space < 0 ? "" : latin1.decode(data.subarray(pos, space));
    const len = /^[0-9]+$/.test(lenText) ? Number(lenText) : Number.NaN;
    if (!Number.isSafeInteger(len) || pos + len > data.length || data[pos + len - 1] !== 0x0a || space >= pos + len) {
      throw new FormatError(file, at + pos, "PAX record", "`LEN key=value\\n`");
    }
    const record = data.subarray(space + 1, pos + len - 1);
    const eq = record.indexOf(0x3d);
    if (eq <= 0) throw new FormatError(file, at + pos, "PAX record", "key=value", JSON.stringify(utf8.decode(record)));
    out.set(utf8.decode(record.subarray(0, eq)), record.slice(eq + 1));
    pos += len;
  }
  return out;
}

/** Bytes a member's data occupies, padded to whole blocks. */
export const padded = (size: number): number => Math.ceil(size / BLOCK) * BLOCK;
