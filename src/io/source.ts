import { type FileHandle, open } from "node:fs/promises";
import { FormatError } from "./errors.js";

/**
 * Random access to bytes whose size is known: a file on disk, a buffer, or a window into either.
 * Readers that need to seek (SquashFS, ELF, tar index of an archive) take this; streaming readers take
 * an AsyncIterable<Uint8Array> instead.
 */
export interface ByteSource {
  /** What to call this input in error messages (a path, or `outer.tar!inner/path`). */
  readonly name: string;
  readonly size: number;
  /** Exactly `length` bytes at `offset`; a read past the end is a FormatError naming `what`. */
  read(offset: number, length: number, what: string): Promise<Uint8Array>;
}

function checkRange(src: ByteSource, offset: number, length: number, what: string): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new FormatError(src.name, offset, what, "a valid range", `offset ${offset}, length ${length}`);
  }
  if (offset + length > src.size) {
    throw new FormatError(src.name, offset, what, `${length} bytes`, `end of input at ${src.size}`);
  }
}

export class BufferSource implements ByteSource {
  readonly size: number;
  constructor(
    readonly name: string,
    private readonly bytes: Uint8Array,
  ) {
    this.size = bytes.length;
  }
  async read(offset: number, length: number, what: string): Promise<Uint8Array> {
    checkRange(this, offset, length, what);
    return this.bytes.subarray(offset, offset + length);
  }
}

export class FileSource implements ByteSource {
  private constructor(
    readonly name: string,
    readonly size: number,
    private readonly fh: FileHandle,
  ) {}
  static async open(path: string): Promise<FileSource> {
    const fh = await open(path, "r");
    try {
      return new FileSource(path, (await fh.stat()).size, fh);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }
  read(offset: number, length: number, what: string): Promise<Uint8Array> {
    return this.readInto(offset, new Uint8Array(length), what);
  }
  /** Exactly `into.length` bytes at `offset`, read into `into` (a buffer the caller reuses). */
  async readInto(offset: number, into: Uint8Array, what: string): Promise<Uint8Array> {
    const length = into.length;
    checkRange(this, offset, length, what);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.fh.read(into, done, length - done, offset + done);
      if (bytesRead === 0) throw new FormatError(this.name, offset + done, what, `${length - done} more bytes`, "EOF");
      done += bytesRead;
    }
    return into;
  }
  close(): Promise<void> {
    return this.fh.close();
  }
}

/** A window [start, start+size) of another source, e.g. one blob inside an uncompressed tar. */
export class SliceSource implements ByteSource {
  constructor(
    private readonly parent: ByteSource,
    private readonly start: number,
    readonly size: number,
    readonly name: string,
  ) {
    checkRange(parent, start, size, `slice ${name}`);
  }
  read(offset: number, length: number, what: string): Promise<Uint8Array> {
    checkRange(this, offset, length, what);
    return this.parent.read(this.start + offset, length, what);
  }
}

/** Streams a source front to back in chunks of `chunkSize`. */
export async function* streamSource(src: ByteSource, chunkSize = 1 << 20): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < src.size; at += chunkSize) {
    yield await src.read(at, Math.min(chunkSize, src.size - at), "data");
  }
}
