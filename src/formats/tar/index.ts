import { FormatError } from "../../errors.js";
import type { ByteSource } from "../../io/source.js";
import { BLOCK, entryType, isZeroBlock, padded, parseHeader, parsePax, type TarEntryType } from "./header.js";
import { cleanMemberPath } from "./path.js";

export interface TarMember {
  readonly path: string;
  readonly type: TarEntryType;
  readonly dataOffset: number;
  readonly size: number;
  readonly linkTarget?: string;
}

/**
 * Indexes an uncompressed tar by reading its headers only, jumping over the data: an image archive of
 * gigabytes is indexed in a few reads, and each blob is then read in place.
 */
export async function indexTar(src: ByteSource): Promise<Map<string, TarMember>> {
  const members = new Map<string, TarMember>();
  let at = 0;
  let pax = new Map<string, string>();
  let longName: string | undefined;
  let longLink: string | undefined;
  while (at + BLOCK <= src.size) {
    const block = await src.read(at, BLOCK, "tar header");
    if (isZeroBlock(block)) return members;
    const h = parseHeader(block, src.name, at);
    const dataAt = at + BLOCK;
    if (h.typeflag === "x" || h.typeflag === "L" || h.typeflag === "K" || h.typeflag === "g") {
      if (h.size > 1 << 20) throw new FormatError(src.name, at, "tar meta entry", "at most 1 MiB", String(h.size));
      const data = await src.read(dataAt, h.size, "tar meta entry");
      if (h.typeflag === "x") pax = parsePax(data, src.name, dataAt);
      else if (h.typeflag !== "g") {
        const nul = data.indexOf(0);
        const text = new TextDecoder().decode(nul < 0 ? data : data.subarray(0, nul));
        if (h.typeflag === "L") longName = text;
        else longLink = text;
      }
      at = dataAt + padded(h.size);
      continue;
    }
    const type = entryType(h.typeflag);
    if (type === undefined) throw new FormatError(src.name, at, "tar header typeflag", "a known type", h.typeflag);
    const size = pax.has("size") ? Number(pax.get("size")) : h.size;
    const path = cleanMemberPath(pax.get("path") ?? longName ?? h.name, src.name, at);
    const link = pax.get("linkpath") ?? longLink ?? h.linkname;
    if (dataAt + size > src.size) {
      throw new FormatError(src.name, dataAt, `data of ${path}`, `${size} bytes`, `end of input at ${src.size}`);
    }
    members.set(path, {
      path,
      type,
      dataOffset: dataAt,
      size: type === "file" ? size : 0,
      ...(type === "symlink" ? { linkTarget: link } : {}),
      ...(type === "hardlink" ? { linkTarget: cleanMemberPath(link, src.name, at) } : {}),
    });
    pax = new Map();
    longName = undefined;
    longLink = undefined;
    at = dataAt + padded(type === "file" ? size : 0);
  }
  throw new FormatError(src.name, at, "tar archive", "two zero blocks at the end", "end of input");
}
