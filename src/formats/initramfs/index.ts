import { FormatError } from "../../errors.js";
import { type ByteSource, SliceSource, streamSource } from "../../io/source.js";
import { StreamReader } from "../../io/stream-reader.js";
import { type Compression, decompressStream, sniff } from "../compress/index.js";
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
 * Splits an initramfs as the kernel's unpack_to_rootfs walks it: NUL bytes are skipped anywhere, an
 * uncompressed cpio starts with `0` at a 4-byte-aligned offset and runs to its trailer, anything else must be
 * a compressed member (consecutive frames of one format form one member).
 */
export async function splitInitramfs(src: ByteSource): Promise<SegmentBounds[]> {
  const out: SegmentBounds[] = [];
  let pos = 0;
  while (pos < src.size) {
    const chunk = await src.read(pos, Math.min(4096, src.size - pos), "initramfs");
    const nonzero = chunk.findIndex((b) => b !== 0);
    if (nonzero < 0) {
      pos += chunk.length;
      continue;
    }
    pos += nonzero;
    const head = await src.read(pos, Math.min(8, src.size - pos), "initramfs member");
    let length: number;
    let compression: Compression | "none";
    if (head[0] === 0x30) {
      if (pos % 4 !== 0)
        throw new FormatError(src.name, pos, "initramfs cpio", "a 4-byte-aligned start", "broken padding");
      const r = new StreamReader(streamSource(new SliceSource(src, pos, src.size - pos, src.name)), src.name);
      const it = readCpio(r, src.name);
      let res = await it.next();
      while (!res.done) res = await it.next();
      length = res.value;
      compression = "none";
    } else {
      const kind = sniff(head);
      if (kind === undefined) {
        throw new FormatError(
          src.name,
          pos,
          "initramfs member",
          "a cpio archive or compressed data",
          "invalid magic at start of compressed archive",
        );
      }
      length = await memberLength(kind, src, pos);
      compression = kind;
    }
    out.push({ index: out.length, offset: pos, length, compression });
    pos += length;
  }
  return out;
}

/** A segment's cpio entries and their bodies, streamable (decompressing as they are read). */
export async function* segmentEntries(
  src: ByteSource,
  seg: SegmentBounds,
): AsyncGenerator<{ entry: CpioEntry; body: AsyncIterable<Uint8Array> }> {
  for await (const { body, ...entry } of segmentMembers(src, seg)) yield { entry, body: body() };
}

async function* segmentMembers(src: ByteSource, seg: SegmentBounds): AsyncGenerator<CpioMember> {
  const name = `${src.name}!segment ${seg.index}`;
  const raw = streamSource(new SliceSource(src, seg.offset, seg.length, name));
  const stream =
    seg.compression === "none" ? raw : decompressStream(seg.compression, raw, { name, maxOutput: MAX_SEGMENT });
  const reader = new StreamReader(stream, name);
  // Like the kernel, go on after a trailer: NUL padding, then maybe another archive, up to the member's end.
  for (;;) {
    yield* readCpio(reader, name);
    let b = await reader.readSome(1);
    while (b !== undefined && b[0] === 0) b = await reader.readSome(1);
    if (b === undefined) return;
    if (b[0] !== 0x30 || (reader.offset - 1) % 4 !== 0) {
      throw new FormatError(
        name,
        reader.offset - 1,
        "data after the cpio trailer",
        "NUL padding or another cpio archive",
        "junk at the end of compressed archive",
      );
    }
    reader.unread(b);
  }
}

/** Every entry of every segment in order, each body streamable before the next entry is asked for. */
export async function* readInitramfs(src: ByteSource): AsyncGenerator<{ segment: SegmentBounds; entry: CpioMember }> {
  for (const segment of await splitInitramfs(src)) {
    for await (const entry of segmentMembers(src, segment)) yield { segment, entry };
  }
}

/** Every segment with its entries' headers (bodies skipped). */
export async function listInitramfs(src: ByteSource): Promise<Segment[]> {
  const out: Segment[] = [];
  for (const seg of await splitInitramfs(src)) {
    const entries: CpioEntry[] = [];
    for await (const { body: _, ...header } of segmentMembers(src, seg)) entries.push(header);
    out.push({ ...seg, entries });
  }
  return out;
}
