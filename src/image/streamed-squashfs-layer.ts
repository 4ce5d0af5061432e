/**
 * A SquashFS image that can only be streamed (a member of a compressed initramfs segment) as a Layer, read
 * without holding the image. mksquashfs, and our writer, put every table after the data: a first pass keeps
 * the superblock and compressor options (the first HEAD bytes) and everything from inode_table_start on, which
 * is all the entries need. contents() streams the image again and keeps only the byte ranges of the wanted
 * files (src/formats/squashfs extents), handing each file out as soon as its ranges have gone by, and
 * dropping them once the consumer asks for the next: a body is readable until then.
 */
import { type Extent, type Inode, SquashFs } from "../formats/squashfs/reader.js";
import { readSuperblock } from "../formats/squashfs/superblock.js";
import { FormatError, LimitError } from "../io/errors.js";
import type { ByteSource } from "../io/source.js";
import type { Entry, Layer, LayerContent, LayerKind } from "./layer.js";
import { squashfsLayer } from "./squashfs-layer.js";

/** The superblock (96 bytes) and the compressor options block after it (2 + at most 8 KiB). */
const HEAD = 96 + 2 + 8192;

/** Bytes kept at a position of the image; reads are served from whichever kept run holds them. */
class KeptSource implements ByteSource {
  /** Kept runs by start; few at once (the tables, the files not yet handed out). */
  readonly runs = new Map<number, Uint8Array>();
  constructor(
    readonly name: string,
    readonly size: number,
  ) {}
  async read(offset: number, length: number, what: string): Promise<Uint8Array> {
    for (const [start, bytes] of this.runs) {
      if (offset >= start && offset + length <= start + bytes.length) {
        return bytes.subarray(offset - start, offset - start + length);
      }
    }
    throw new FormatError(this.name, offset, what, "bytes inside the tables or the files read", `${length} bytes`);
  }
}

/** Copies the parts of `chunk` (at `pos` of the stream) that fall inside `[start, start + into.length)`. */
function take(chunk: Uint8Array, pos: number, start: number, into: Uint8Array): number {
  const from = Math.max(start, pos);
  const to = Math.min(start + into.length, pos + chunk.length);
  if (to <= from) return 0;
  into.set(chunk.subarray(from - pos, to - pos), from - start);
  return to - from;
}

/**
 * The image `stream()` yields (`size` bytes, each call from the start), as a layer; `limit` bounds the tables
 * kept from the first pass.
 */
export async function streamedSquashfsLayer(
  stream: () => AsyncIterable<Uint8Array>,
  size: number,
  limit: number,
  names: { readonly id: string; readonly kind: LayerKind; readonly description: string },
): Promise<Layer> {
  const src = new KeptSource(names.description, size);
  const head = new Uint8Array(Math.min(HEAD, size));
  let tables: Uint8Array | undefined;
  let tablesAt = size;
  let pos = 0;
  for await (const chunk of stream()) {
    take(chunk, pos, 0, head);
    if (tables === undefined && pos + chunk.length >= head.length) {
      src.runs.set(0, head);
      const sb = await readSuperblock(src);
      tablesAt = sb.inodeTableStart;
      if (size - tablesAt > limit)
        throw new LimitError(names.description, tablesAt, "squashfs tables", limit, size - tablesAt);
      tables = new Uint8Array(size - tablesAt);
    }
    if (tables !== undefined) take(chunk, pos, tablesAt, tables);
    pos += chunk.length;
  }
  if (pos !== size) throw new FormatError(names.description, pos, "squashfs image", `${size} bytes`, `${pos}`);
  if (tables !== undefined) src.runs.set(tablesAt, tables);
  const fs = await SquashFs.open(src);
  const base = squashfsLayer(fs, names.id, names.kind, names.description);
  return { ...base, contents: (wanted) => streamedContents(fs, src, stream, wanted) };
}

/** One file's content as it is gathered: its entries, the ranges it needs, how many have not gone by. */
interface Pending {
  readonly inode: Inode;
  readonly entries: Entry[];
  readonly extents: readonly Extent[];
  waiting: number;
}

/** A byte range the wanted files need, filled as the stream passes it (its buffer made when it is reached). */
interface Run {
  readonly start: number;
  readonly length: number;
  readonly users: Pending[];
  bytes?: Uint8Array;
  got: number;
}

/**
 * The ranges to keep for a file; none for one whose block list is damaged (or that stores nothing): it is
 * handed out at once, and reading it says what is wrong, as for a held image.
 */
async function usedExtents(fs: SquashFs, inode: Inode): Promise<Extent[]> {
  try {
    return (await fs.extents(inode)).filter((x) => x.end > x.start);
  } catch (err) {
    if (err instanceof FormatError || err instanceof LimitError) return [];
    throw err;
  }
}

async function* streamedContents(
  fs: SquashFs,
  src: KeptSource,
  stream: () => AsyncIterable<Uint8Array>,
  wanted: readonly Entry[],
): AsyncGenerator<LayerContent> {
  // Files by inode (paths sharing one are one file), runs by start (files share fragment blocks).
  const files = new Map<number, Pending>();
  const runs = new Map<number, Run>();
  for (const e of wanted) {
    const known = files.get(e.at);
    if (known) {
      known.entries.push(e);
      continue;
    }
    const inode = await fs.inode(e.at);
    const extents = await usedExtents(fs, inode);
    const file: Pending = { inode, entries: [e], extents, waiting: extents.length };
    files.set(e.at, file);
    for (const x of extents) {
      const run = runs.get(x.start) ?? { start: x.start, length: x.end - x.start, users: [], got: 0 };
      if (run.length !== x.end - x.start) {
        throw new FormatError(
          src.name,
          x.start,
          "squashfs file data",
          `one length for the bytes at ${x.start}`,
          `${x.end - x.start}`,
        );
      }
      run.users.push(file);
      runs.set(x.start, run);
    }
  }
  const order = [...runs.values()].sort((a, b) => a.start - b.start);
  const handOut = function* (f: Pending): Generator<LayerContent> {
    for (const entry of f.entries) yield { entry, body: fs.readFile(f.inode), stored: () => fs.storedFile(f.inode) };
  };
  // A file handed out is forgotten (its inode, its ranges): what is kept shrinks as the stream passes.
  const release = (f: Pending) => {
    files.delete(f.inode.ref);
    for (const x of f.extents) {
      const run = runs.get(x.start);
      if (run === undefined) continue;
      run.users.splice(run.users.indexOf(f), 1);
      if (run.users.length > 0) continue;
      runs.delete(x.start);
      if (src.runs.get(x.start) === run.bytes) src.runs.delete(x.start);
      delete run.bytes;
    }
  };
  // Files with nothing stored (empty, or sparse throughout) are ready at once.
  for (const f of files.values()) {
    if (f.waiting > 0) continue;
    yield* handOut(f);
    release(f);
  }
  let next = 0; // the first run not yet wholly gone by
  let pos = 0;
  for await (const chunk of stream()) {
    const end = pos + chunk.length;
    const ready: Pending[] = [];
    for (let i = next; i < order.length && (order[i] as Run).start < end; i++) {
      const run = order[i] as Run;
      if (run.got === run.length) continue;
      run.bytes ??= new Uint8Array(run.length);
      run.got += take(chunk, pos, run.start, run.bytes);
      if (run.got < run.length) continue;
      src.runs.set(run.start, run.bytes);
      for (const u of run.users) if (--u.waiting === 0) ready.push(u);
    }
    while (next < order.length && (order[next] as Run).got === (order[next] as Run).length) next++;
    pos = end;
    for (const f of ready) {
      yield* handOut(f);
      release(f);
    }
  }
  // Files whose bytes the stream never finished: their reads fail, each a fault of its own file.
  for (const f of files.values()) if (f.waiting > 0) yield* handOut(f);
}
