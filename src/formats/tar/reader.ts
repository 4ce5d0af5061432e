import { FormatError } from "../../errors.js";
import { StreamReader } from "../../io/stream-reader.js";
import { BLOCK, entryType, isZeroBlock, padded, parseHeader, parsePax, type TarEntryType } from "./header.js";
import { cleanMemberPath } from "./path.js";

export interface TarEntry {
  /** Absolute, cleaned path (`/usr/bin/x`). */
  readonly path: string;
  readonly type: TarEntryType;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly mtime: number;
  /** Symlink target as written; for hard links, the cleaned path of the target. */
  readonly linkTarget?: string;
  readonly devmajor: number;
  readonly devminor: number;
  /** `SCHILY.xattr.*` PAX records. */
  readonly xattrs: ReadonlyMap<string, string>;
  /** Offset of the member's header in the archive. */
  readonly headerOffset: number;
  /** Offset of its data. */
  readonly dataOffset: number;
}

/** Meta-entries never reach the caller; their content is bounded so a hostile size cannot exhaust memory. */
const MAX_META = 1 << 20;

/**
 * Reads a tar stream entry by entry. Each entry's body must be read (or is skipped) before the next entry is
 * produced: nothing of a body is held in memory.
 */
export async function* readTar(
  input: AsyncIterable<Uint8Array>,
  file: string,
): AsyncGenerator<{ entry: TarEntry; body: AsyncIterable<Uint8Array> }> {
  const r = new StreamReader(input, file);
  let global = new Map<string, string>();
  let pax = new Map<string, string>();
  let longName: string | undefined;
  let longLink: string | undefined;
  for (;;) {
    const at = r.offset;
    const block = await r.readExact(BLOCK, "tar header");
    if (block === undefined)
      throw new FormatError(file, at, "tar archive", "two zero blocks at the end", "end of input");
    if (isZeroBlock(block)) return;
    const h = parseHeader(block, file, at);
    if (h.typeflag === "x" || h.typeflag === "g" || h.typeflag === "L" || h.typeflag === "K") {
      if (h.size > MAX_META)
        throw new FormatError(file, at, "tar meta entry", `at most ${MAX_META} bytes`, String(h.size));
      const data = (await r.readExact(padded(h.size), "tar meta entry")) ?? new Uint8Array(0);
      const content = data.subarray(0, h.size);
      if (h.typeflag === "x") pax = parsePax(content, file, at + BLOCK);
      else if (h.typeflag === "g") global = new Map([...global, ...parsePax(content, file, at + BLOCK)]);
      else {
        const nul = content.indexOf(0);
        const text = new TextDecoder().decode(nul < 0 ? content : content.subarray(0, nul));
        if (h.typeflag === "L") longName = text;
        else longLink = text;
      }
      continue;
    }
    const type = entryType(h.typeflag);
    if (type === undefined) {
      throw new FormatError(
        file,
        at,
        "tar header typeflag",
        "a file, link, device, dir or fifo",
        JSON.stringify(h.typeflag),
      );
    }
    const attrs = new Map([...global, ...pax]);
    const rawName = attrs.get("path") ?? longName ?? h.name;
    const rawLink = attrs.get("linkpath") ?? longLink ?? h.linkname;
    const size = attrs.has("size") ? Number(attrs.get("size")) : h.size;
    if (!Number.isSafeInteger(size) || size < 0) throw new FormatError(file, at, "tar size", "a size", String(size));
    const xattrs = new Map<string, string>();
    for (const [k, v] of attrs) if (k.startsWith("SCHILY.xattr.")) xattrs.set(k.slice(13), v);
    pax = new Map();
    longName = undefined;
    longLink = undefined;
    const bodySize = type === "file" ? size : 0;
    const entry: TarEntry = {
      path: cleanMemberPath(rawName, file, at),
      type,
      mode: h.mode & 0o7777,
      uid: Number(attrs.get("uid") ?? h.uid),
      gid: Number(attrs.get("gid") ?? h.gid),
      size: bodySize,
      mtime: Math.trunc(Number(attrs.get("mtime") ?? h.mtime)),
      ...(type === "symlink" ? { linkTarget: rawLink } : {}),
      ...(type === "hardlink" ? { linkTarget: cleanMemberPath(rawLink, file, at) } : {}),
      devmajor: h.devmajor,
      devminor: h.devminor,
      xattrs,
      headerOffset: at,
      dataOffset: at + BLOCK,
    };
    let consumed = 0;
    const body: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: async function* () {
        if (consumed > 0) throw new Error(`body of ${entry.path} read twice`);
        for await (const part of r.take(bodySize, `data of ${entry.path}`)) {
          consumed += part.length;
          yield part;
        }
      },
    };
    yield { entry, body };
    if (consumed < bodySize) await r.skip(bodySize - consumed, `data of ${entry.path}`);
    await r.skip(padded(bodySize) - bodySize, "tar padding");
  }
}
