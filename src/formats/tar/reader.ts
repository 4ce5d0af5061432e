import { FormatError } from "../../io/errors.js";
import { StreamReader } from "../../io/stream-reader.js";
import { isMeta, MAX_META, PendingMeta, type TarEntry } from "./entry.js";
import { BLOCK, isZeroBlock, padded, parseHeader, parsePax } from "./header.js";

export type { TarEntry, TarEntryType } from "./entry.js";

/**
 * Reads a tar stream entry by entry. Each entry's body must be read (or is skipped) before the next entry is
 * produced: nothing of a body is held in memory.
 *
 * A small reader of its own rather than tar-stream: errors must name the byte offset, an uncompressed
 * layer's members are later read in place by their data offsets, xattr values are binary, and names need
 * the path rules of ./path.ts; tar-stream reports none of the offsets and decodes PAX values as text.
 *
 * The end is a zero block (a second one, if present, must be zero too) or the end of the stream at a header
 * boundary, which Go's archive/tar, and so Docker, accepts as well. What follows the end blocks (GNU tar pads
 * to 10 KiB records) is read and dropped, as Docker and containerd drain a layer after applying it: whatever
 * wraps the stream, a decoder or a digest check, sees it end.
 */
export async function* readTar(
  input: AsyncIterable<Uint8Array>,
  file: string,
): AsyncGenerator<{ entry: TarEntry; body: AsyncIterable<Uint8Array> }> {
  const r = new StreamReader(input, file);
  const meta = new PendingMeta(file);
  for (;;) {
    const at = r.offset;
    const block = await r.readExact(BLOCK, "tar header");
    if (block === undefined) return;
    if (isZeroBlock(block)) {
      const second = await r.readExact(BLOCK, "tar end");
      if (second !== undefined && !isZeroBlock(second)) {
        throw new FormatError(file, at + BLOCK, "tar end", "a second zero block", "a header after a zero block");
      }
      while ((await r.readSome(1 << 20)) !== undefined) {
        // dropped: padding, or bytes no tar reader looks at
      }
      return;
    }
    const h = parseHeader(block, file, at);
    if (isMeta(h.typeflag)) {
      if (h.size > MAX_META)
        throw new FormatError(file, at, "tar meta entry", `at most ${MAX_META} bytes`, String(h.size));
      const data = (await r.readExact(padded(h.size), "tar meta entry")) ?? new Uint8Array(0);
      if (data.length < padded(h.size)) {
        throw new FormatError(file, at + BLOCK, "tar meta entry", `${h.size} bytes`, "end of input");
      }
      meta.add(h.typeflag, at, data.subarray(0, h.size), (d) => parsePax(d, file, at + BLOCK));
      continue;
    }
    const entry = meta.entry(h, at);
    let consumed = 0;
    const body: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: async function* () {
        if (consumed > 0) throw new Error(`${file}: body of ${entry.path} read twice`);
        for await (const part of r.take(entry.size, `data of ${entry.path}`)) {
          consumed += part.length;
          yield part;
        }
      },
    };
    yield { entry, body };
    if (consumed < entry.size) await r.skip(entry.size - consumed, `data of ${entry.path}`);
    await r.skip(padded(entry.size) - entry.size, `padding after ${entry.path}`);
  }
}
