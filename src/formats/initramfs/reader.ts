import { FormatError } from "../../io/errors.js";
import { type ByteSource, SliceSource, streamSource } from "../../io/source.js";
import { StreamReader } from "../../io/stream-reader.js";
import { decompressStream } from "../compress/decompress.js";
import { type Compression, sniff } from "../compress/magic.js";
import { type CpioEntry, type CpioMember, readCpio } from "../cpio/reader.js";
import { memberLength } from "./members.js";

export interface SegmentBounds {
  readonly index: number;
  /** Offset and length in the initramfs file. */
  readonly offset: number;
  readonly length: number;
  readonly compression: Compression | "none";
}

export interface Segment extends SegmentBounds {
  readonly entries: readonly CpioEntry[];
}

/** A decompressed segment is bounded: Talos' are tens of MiB; a bomb is refused. */
const MAX_SEGMENT = 8 * 2 ** 30;

/**
 * Splits an initramfs as the kernel's unpack_to_rootfs (init/initramfs.c) walks it: NUL bytes are skipped, an
 * uncompressed cpio starts with `0` at a 4-byte-aligned offset and runs to its trailer, anything else must be
 * compressed data, of which one segment is what one call of the kernel's decompressor consumes (see
 * memberLength). After an uncompressed cpio, the kernel's cpio reader skips the NULs itself and refuses to
 * stop at an unaligned offset; after compressed data it is unpack_to_rootfs that skips them, at any count.
 */
export async function splitInitramfs(src: ByteSource): Promise<SegmentBounds[]> {
  const out: SegmentBounds[] = [];
  let pos = 0;
  let afterCpio = false;
  while (pos < src.size) {
    const chunk = await src.read(pos, Math.min(4096, src.size - pos), "initramfs");
    const nonzero = chunk.findIndex((b) => b !== 0);
    if (nonzero < 0) {
      pos += chunk.length;
      continue;
    }
    pos += nonzero;
    if (afterCpio && pos % 4 !== 0) {
      // do_reset: NULs after an entry, then data at an unaligned offset.
      throw new FormatError(
        src.name,
        pos,
        "padding after a cpio archive",
        "NULs up to a 4-byte-aligned offset",
        "broken padding",
      );
    }
    const head = await src.read(pos, Math.min(8, src.size - pos), "initramfs member");
    let length: number;
    let compression: Compression | "none";
    if (head[0] === 0x30 && pos % 4 === 0) {
      const size = src.size - pos;
      const name = `${src.name}!segment ${out.length}`;
      const it = readCpio(new StreamReader(streamSource(new SliceSource(src, pos, size, name)), name, size), name);
      let res = await it.next();
      while (!res.done) res = await it.next();
      length = res.value;
      compression = "none";
    } else {
      // An unaligned `0` is not a cpio to the kernel either: it goes to decompress_method and is refused.
      const kind = sniff(head);
      if (kind === undefined) {
        throw new FormatError(
          src.name,
          pos,
          "initramfs member",
          "a cpio archive at a 4-byte-aligned offset or compressed data",
          "invalid magic at start of compressed archive",
        );
      }
      length = await memberLength(kind, src, pos);
      compression = kind;
    }
    out.push({ index: out.length, offset: pos, length, compression });
    afterCpio = compression === "none";
    pos += length;
  }
  return out;
}

/**
 * A segment's cpio entries and their bodies, streamable (decompressing as they are read). With `reuse`, a
 * compressed segment is decoded into one buffer: each body chunk is valid only until the next is asked for,
 * for a reader that copies what it keeps (a segment is hundreds of MiB of output otherwise left to the
 * collector).
 */
export async function* segmentEntries(
  src: ByteSource,
  seg: SegmentBounds,
  reuse = false,
): AsyncGenerator<{ entry: CpioEntry; body: AsyncIterable<Uint8Array> }> {
  for await (const { body, ...entry } of segmentMembers(src, seg, reuse)) yield { entry, body: body() };
}

async function* segmentMembers(src: ByteSource, seg: SegmentBounds, reuse: boolean): AsyncGenerator<CpioMember> {
  const name = `${src.name}!segment ${seg.index}`;
  const raw = streamSource(new SliceSource(src, seg.offset, seg.length, name));
  if (seg.compression === "none") {
    yield* readCpio(new StreamReader(raw, name, seg.length), name);
    return;
  }
  let ended = false;
  const stream = (async function* () {
    yield* decompressStream(seg.compression as Compression, raw, { name, maxOutput: MAX_SEGMENT, reuse });
    ended = true;
  })();
  // The kernel decodes the member in one decompress() call and refuses one whose data stops inside an entry
  // (unpack_to_rootfs: "junk at the end of compressed archive"), e.g. a cpio spread over two zstd frames.
  // Once the data has ended, any error is that case (or, stricter than the kernel, a missing trailer).
  const cut = (err: unknown) =>
    ended && err instanceof FormatError
      ? new FormatError(
          src.name,
          seg.offset + seg.length,
          `initramfs segment ${seg.index} (${seg.compression})`,
          "whole cpio archives in the data of one compressed member",
          `${err.structure} cut short at offset ${err.offset} of the data`,
        )
      : err;
  const reader = new StreamReader(stream, name);
  for await (const member of rethrow(archives(reader, name), cut)) {
    yield { ...member, body: () => rethrow(member.body(), cut) };
  }
}

/** The cpio archives in a segment's decompressed data, as flush_buffer feeds it to the kernel's cpio reader. */
async function* archives(reader: StreamReader, name: string): AsyncGenerator<CpioMember> {
  for (;;) {
    yield* readCpio(reader, name);
    let b = await reader.readSome(1);
    while (b !== undefined && b[0] === 0) b = await reader.readSome(1);
    if (b === undefined) return;
    const at = reader.offset - 1;
    if (at % 4 !== 0)
      throw new FormatError(
        name,
        at,
        "padding after a cpio archive",
        "NULs up to a 4-byte-aligned offset",
        "broken padding",
      );
    if (b[0] !== 0x30) {
      throw new FormatError(
        name,
        at,
        "data after a cpio archive",
        "NUL padding or another cpio archive",
        "junk within compressed archive",
      );
    }
    reader.unread(b);
  }
}

/** `it`, with what it throws passed through `map`. */
async function* rethrow<T>(it: AsyncIterable<T>, map: (err: unknown) => unknown): AsyncGenerator<T> {
  try {
    yield* it;
  } catch (err) {
    throw map(err);
  }
}

/** Every entry of every segment in order, each body streamable before the next entry is asked for. */
export async function* readInitramfs(src: ByteSource): AsyncGenerator<{ segment: SegmentBounds; entry: CpioMember }> {
  for (const segment of await splitInitramfs(src)) {
    for await (const entry of segmentMembers(src, segment, false)) yield { segment, entry };
  }
}

/** Every segment with its entries' headers (bodies skipped). */
export async function listInitramfs(src: ByteSource): Promise<Segment[]> {
  const out: Segment[] = [];
  for (const seg of await splitInitramfs(src)) {
    const entries: CpioEntry[] = [];
    for await (const { body: _, ...header } of segmentMembers(src, seg, true)) entries.push(header);
    out.push({ ...seg, entries });
  }
  return out;
}
