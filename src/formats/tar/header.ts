import { FormatError } from "../../errors.js";

export const BLOCK = 512;

export type TarEntryType = "file" | "hardlink" | "symlink" | "char" | "block" | "dir" | "fifo";

/** One tar header block as written, before PAX/GNU long names are applied. */
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

function str(b: Uint8Array, off: number, len: number): string {
  const field = b.subarray(off, off + len);
  const nul = field.indexOf(0);
  return utf8.decode(nul < 0 ? field : field.subarray(0, nul));
}

/** Octal, or GNU base-256 when the high bit of the first byte is set (sizes over 8 GiB, negative times). */
function num(b: Uint8Array, off: number, len: number, file: string, at: number, what: string): number {
  const first = b[off] as number;
  if (first & 0x80) {
    let v = first & 0x7f;
    for (let i = 1; i < len; i++) v = v * 256 + (b[off + i] as number);
    if (!Number.isSafeInteger(v)) throw new FormatError(file, at + off, `tar ${what}`, "a number below 2^53");
    return v;
  }
  const text = latin1
    .decode(b.subarray(off, off + len))
    .replace(/[\0 ]+$/, "")
    .trim();
  if (text === "") return 0;
  if (!/^[0-7]+$/.test(text))
    throw new FormatError(file, at + off, `tar ${what}`, "an octal number", JSON.stringify(text));
  return Number.parseInt(text, 8);
}

export const isZeroBlock = (b: Uint8Array): boolean => b.every((x) => x === 0);

/** Parses one 512-byte header at absolute offset `at` of `file`, checking its checksum. */
export function parseHeader(b: Uint8Array, file: string, at: number): RawHeader {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (b[i] as number);
  const stored = num(b, 148, 8, file, at, "checksum");
  if (stored !== sum) throw new FormatError(file, at, "tar header", `checksum ${sum}`, String(stored));
  const ustar = latin1.decode(b.subarray(257, 262)) === "ustar";
  const prefix = ustar ? str(b, 345, 155) : "";
  const name = str(b, 0, 100);
  return {
    name: prefix ? `${prefix}/${name}` : name,
    mode: num(b, 100, 8, file, at, "mode"),
    uid: num(b, 108, 8, file, at, "uid"),
    gid: num(b, 116, 8, file, at, "gid"),
    size: num(b, 124, 12, file, at, "size"),
    mtime: num(b, 136, 12, file, at, "mtime"),
    typeflag: String.fromCharCode(b[156] as number),
    linkname: str(b, 157, 100),
    devmajor: ustar ? num(b, 329, 8, file, at, "devmajor") : 0,
    devminor: ustar ? num(b, 337, 8, file, at, "devminor") : 0,
  };
}

/** PAX extended header records: `LEN key=value\n`. */
export function parsePax(data: Uint8Array, file: string, at: number): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    const len = space < 0 ? Number.NaN : Number(latin1.decode(data.subarray(pos, space)));
    if (!Number.isInteger(len) || len <= 0 || pos + len > data.length || data[pos + len - 1] !== 0x0a) {
      throw new FormatError(file, at + pos, "PAX record", "`LEN key=value\\n`");
    }
    const record = utf8.decode(data.subarray(space + 1, pos + len - 1));
    const eq = record.indexOf("=");
    if (eq < 0) throw new FormatError(file, at + pos, "PAX record", "key=value", JSON.stringify(record));
    out.set(record.slice(0, eq), record.slice(eq + 1));
    pos += len;
  }
  return out;
}

const TYPES: Record<string, TarEntryType> = {
  "0": "file",
  "\0": "file",
  "7": "file",
  "1": "hardlink",
  "2": "symlink",
  "3": "char",
  "4": "block",
  "5": "dir",
  "6": "fifo",
};

export const entryType = (typeflag: string): TarEntryType | undefined => TYPES[typeflag];

/** Bytes a member's data occupies, padded to whole blocks. */
export const padded = (size: number): number => Math.ceil(size / BLOCK) * BLOCK;
