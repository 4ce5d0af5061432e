import { FormatError } from "../../io/errors.js";
import { StreamReader } from "../../io/stream-reader.js";

export type CpioType = "file" | "dir" | "symlink" | "char" | "block" | "fifo" | "socket";

export interface CpioEntry {
  readonly format: "newc" | "crc";
  /** As stored, e.g. `usr/lib/x` or `.`. */
  readonly name: string;
  readonly ino: number;
  readonly mode: number;
  readonly type: CpioType;
  readonly uid: number;
  readonly gid: number;
  readonly nlink: number;
  readonly mtime: number;
  /** Data bytes stored with this entry (0 for all but the last of a hard-link group, as GNU cpio writes). */
  readonly size: number;
  readonly devmajor: number;
  readonly devminor: number;
  readonly rdevmajor: number;
  readonly rdevminor: number;
  readonly check: number;
  readonly linkTarget?: string;
  /** Offsets from the start of the archive's stream. */
  readonly headerOffset: number;
  readonly dataOffset: number;
}

/** An entry as the reader yields it: its header, and its data as a stream. */
export interface CpioMember extends CpioEntry {
  /**
   * The entry's data (empty for all but regular files). Read it before asking for the next entry; what is
   * left unread is skipped then (and, in the crc format, still checksummed).
   */
  body(): AsyncIterable<Uint8Array>;
}

const HEADER = 110;
const TRAILER = "TRAILER!!!";
/** The kernel's PATH_MAX: a longer name is corruption, not something to allocate for. */
const MAX_NAME = 4096;

// A Map: the linter's rewrite of numeric object keys mangles octal literals.
const TYPES = new Map<number, CpioType>([
  [0o100000, "file"],
  [0o040000, "dir"],
  [0o120000, "symlink"],
  [0o020000, "char"],
  [0o060000, "block"],
  [0o010000, "fifo"],
  [0o140000, "socket"],
]);

const align4 = (n: number): number => (n + 3) & ~3;
const latin1 = new TextDecoder("latin1");

function hex(h: Uint8Array, field: number, file: string, at: number): number {
  const text = latin1.decode(h.subarray(6 + field * 8, 14 + field * 8));
  if (!/^[0-9A-Fa-f]{8}$/.test(text)) {
    throw new FormatError(file, at + 6 + field * 8, "cpio header field", "8 hex digits", JSON.stringify(text));
  }
  return Number.parseInt(text, 16);
}

/**
 * Reads one newc (070701) or crc (070702) archive up to and including its trailer; offsets and the 4-byte
 * alignment of names and data count from the start of `input` (a StreamReader continues from where it is,
 * as in an initramfs where archives follow each other). Each body must be read (or is skipped) before the
 * next entry; the crc format's checksum is verified as the body passes. Given a StreamReader that knows its
 * input's size, a c_filesize beyond what is left is refused at its header. Returns the offset just after the
 * trailer's padding.
 */
export async function* readCpio(
  input: AsyncIterable<Uint8Array> | Iterable<Uint8Array> | StreamReader,
  file: string,
): AsyncGenerator<CpioMember, number> {
  return yield* readArchive(input instanceof StreamReader ? input : new StreamReader(input, file), file);
}

async function* readArchive(input: StreamReader, file: string): AsyncGenerator<CpioMember, number> {
  for (;;) {
    const at = input.offset;
    const read = await input.readExact(HEADER, "cpio header");
    if (read === undefined) throw new FormatError(file, at, "cpio archive", `an entry or ${TRAILER}`, "end of input");
    // A copy: its fields are parsed after later reads, which may reuse the buffer under it.
    const h = read.slice();
    const magic = latin1.decode(h.subarray(0, 6));
    if (magic !== "070701" && magic !== "070702") {
      throw new FormatError(file, at, "cpio header", "magic 070701 or 070702", JSON.stringify(magic));
    }
    const f = (i: number) => hex(h, i, file, at);
    const namesize = f(11);
    if (namesize < 1 || namesize > MAX_NAME) {
      throw new FormatError(file, at + 94, "cpio namesize", `1 to ${MAX_NAME}`, String(namesize));
    }
    const nameBytes = await input.readExact(namesize, "cpio name");
    if (nameBytes === undefined) {
      throw new FormatError(file, at + HEADER, "cpio name", `${namesize} bytes`, "end of input");
    }
    if (nameBytes[namesize - 1] !== 0) throw new FormatError(file, at + HEADER, "cpio name", "a NUL-terminated name");
    const name = new TextDecoder().decode(nameBytes.subarray(0, namesize - 1));
    await input.skip(align4(HEADER + namesize) - HEADER - namesize, "cpio name padding");
    const mode = f(1);
    const size = f(6);
    const dataOffset = input.offset;
    // Refused here, at its header, rather than where the input runs out while the data is read.
    if (input.size !== undefined && size > input.size - dataOffset) {
      throw new FormatError(
        file,
        at,
        `cpio header of ${JSON.stringify(name)}`,
        `a c_filesize within the ${input.size - dataOffset} bytes left`,
        String(size),
      );
    }
    if (name === TRAILER) {
      await input.skip(align4(dataOffset + size) - dataOffset, "cpio trailer");
      return input.offset;
    }
    const type = TYPES.get(mode & 0o170000);
    if (type === undefined) throw new FormatError(file, at + 14, "cpio mode", "a known file type", mode.toString(8));
    let linkTarget: string | undefined;
    if (type === "symlink") {
      if (size > MAX_NAME) throw new FormatError(file, dataOffset, "cpio symlink target", `at most ${MAX_NAME} bytes`);
      const target = size === 0 ? new Uint8Array(0) : await input.readExact(size, "cpio symlink target");
      if (target === undefined) {
        throw new FormatError(file, dataOffset, "cpio symlink target", `${size} bytes`, "end of input");
      }
      linkTarget = new TextDecoder().decode(target);
    }
    const entry: CpioEntry = {
      format: magic === "070701" ? "newc" : "crc",
      name,
      ino: f(0),
      mode: mode & 0o7777,
      type,
      uid: f(2),
      gid: f(3),
      nlink: f(4),
      mtime: f(5),
      size,
      devmajor: f(7),
      devminor: f(8),
      rdevmajor: f(9),
      rdevminor: f(10),
      check: f(12),
      ...(linkTarget !== undefined ? { linkTarget } : {}),
      headerOffset: at,
      dataOffset,
    };
    const left = type === "symlink" ? 0 : size;
    let consumed = 0;
    let sum = 0;
    let current = true;
    const body: AsyncIterable<Uint8Array> = {
      async *[Symbol.asyncIterator]() {
        // The stream has moved on: these bytes belong to a later entry.
        if (!current) throw new Error(`cpio: body of ${name} read after the next entry was requested`);
        for await (const part of input.take(left - consumed, `data of ${name}`)) {
          consumed += part.length;
          if (entry.format === "crc") for (const b of part) sum = (sum + b) >>> 0;
          yield part;
        }
        if (entry.format === "crc" && sum !== entry.check) {
          throw new FormatError(file, dataOffset, `crc of ${name}`, `checksum ${entry.check}`, String(sum));
        }
      },
    };
    yield { ...entry, body: () => body };
    if (consumed < left) {
      if (entry.format === "crc") for await (const _ of body) void _;
      else await input.skip(left - consumed, `data of ${name}`);
    }
    current = false;
    await input.skip(align4(dataOffset + size) - (dataOffset + size), "cpio data padding");
  }
}
