import { FormatError } from "../../io/errors.js";

const utf8 = new TextDecoder("utf-8");

/** Fixed-width integer reads in one byte order over bytes already read from an ELF file. */
export class EndianReader {
  private readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly littleEndian: boolean,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  u8(at: number): number {
    return this.view.getUint8(at);
  }
  u16(at: number): number {
    return this.view.getUint16(at, this.littleEndian);
  }
  u32(at: number): number {
    return this.view.getUint32(at, this.littleEndian);
  }
  i32(at: number): number {
    return this.view.getInt32(at, this.littleEndian);
  }
  u64(at: number): bigint {
    return this.view.getBigUint64(at, this.littleEndian);
  }
  /** A word of the file's class: 4 bytes for ELF32, 8 for ELF64. */
  word(at: number, is64: boolean): bigint {
    return is64 ? this.u64(at) : BigInt(this.u32(at));
  }
}

/** A 64-bit file offset or size as a number; anything past 2^53 cannot lie inside a real file. */
export function toSafe(value: bigint, file: string, at: number, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new FormatError(file, at, what, "a value below 2^53", `0x${value.toString(16)}`);
  }
  return Number(value);
}

/** The NUL-terminated string at `at` inside `table`; a missing terminator is a FormatError. */
export function cString(table: Uint8Array, at: number, file: string, tableOffset: number, what: string): string {
  if (at < 0 || at >= table.length) {
    throw new FormatError(file, tableOffset, what, `a string offset below ${table.length}`, String(at));
  }
  const end = table.indexOf(0, at);
  if (end < 0) throw new FormatError(file, tableOffset + at, what, "a NUL-terminated string", "end of table");
  return utf8.decode(table.subarray(at, end));
}
