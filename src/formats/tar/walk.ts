import { FormatError } from "../../io/errors.js";
import type { ByteSource } from "../../io/source.js";
import { isMeta, MAX_META, PendingMeta, type TarEntry } from "./entry.js";
import { BLOCK, isZeroBlock, padded, parseHeader, parsePax } from "./header.js";

/**
 * Lists an uncompressed tar that sits on random-access storage by reading its headers only and jumping over
 * the data: an image archive of gigabytes is indexed in a few hundred reads, and each member is then read
 * in place at its dataOffset. Same rules as readTar.
 */
export async function* walkTar(src: ByteSource): AsyncGenerator<TarEntry> {
  const meta = new PendingMeta(src.name);
  let at = 0;
  while (at < src.size) {
    const block = await src.read(at, BLOCK, "tar header");
    if (isZeroBlock(block)) {
      if (at + 2 * BLOCK <= src.size && !isZeroBlock(await src.read(at + BLOCK, BLOCK, "tar end"))) {
        throw new FormatError(src.name, at + BLOCK, "tar end", "a second zero block", "a header after a zero block");
      }
      return;
    }
    const h = parseHeader(block, src.name, at);
    if (isMeta(h.typeflag)) {
      if (h.size > MAX_META)
        throw new FormatError(src.name, at, "tar meta entry", `at most ${MAX_META} bytes`, String(h.size));
      const data = await src.read(at + BLOCK, h.size, "tar meta entry");
      meta.add(h.typeflag, at, data, (d) => parsePax(d, src.name, at + BLOCK));
      at += BLOCK + padded(h.size);
      continue;
    }
    const entry = meta.entry(h, at);
    if (entry.dataOffset + entry.size > src.size) {
      throw new FormatError(
        src.name,
        entry.dataOffset,
        `data of ${entry.path}`,
        `${entry.size} bytes`,
        `end of input at ${src.size}`,
      );
    }
    yield entry;
    at = entry.dataOffset + padded(entry.size);
  }
}

/** walkTar's entries by path; a path stored twice keeps its last member, as extraction would. */
export async function indexTar(src: ByteSource): Promise<Map<string, TarEntry>> {
  const members = new Map<string, TarEntry>();
  for await (const e of walkTar(src)) members.set(e.path, e);
  return members;
}
