import { FormatError } from "../../io/errors.js";
import { BLOCK, type RawHeader } from "./header.js";
import { cleanMemberPath } from "./path.js";

export type TarEntryType = "file" | "hardlink" | "symlink" | "char" | "block" | "dir" | "fifo";

export interface TarEntry {
  /** Absolute, cleaned path (`/usr/bin/x`; `/` for `./`). */
  readonly path: string;
  readonly type: TarEntryType;
  /** Permission bits with setuid, setgid and sticky (07777). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Data bytes: the file's size for regular files, 0 for every other type. */
  readonly size: number;
  readonly mtime: number;
  /** Symlink target as written; for a hard link, the cleaned path of the member it links to. */
  readonly linkTarget?: string;
  readonly devmajor: number;
  readonly devminor: number;
  /** `SCHILY.xattr.*` PAX records: name to value bytes. */
  readonly xattrs: ReadonlyMap<string, Uint8Array>;
  /** Offset of the member's first block: its PAX or GNU long-name header if it has one (GNU tar -R's block). */
  readonly startOffset: number;
  /** Offset of the member's own header block (after any PAX or GNU long-name blocks before it). */
  readonly headerOffset: number;
  /** Offset of its data: headerOffset + 512. */
  readonly dataOffset: number;
}

const TYPES = new Map<string, TarEntryType>([
  ["0", "file"],
  ["7", "file"],
  ["1", "hardlink"],
  ["2", "symlink"],
  ["3", "char"],
  ["4", "block"],
  ["5", "dir"],
  ["6", "fifo"],
]);

/** Meta entries are held whole; a larger one is corrupt or hostile. */
export const MAX_META = 1 << 20;

/** Typeflags whose member only modifies the next one. */
export const isMeta = (typeflag: string): boolean =>
  typeflag === "x" || typeflag === "g" || typeflag === "L" || typeflag === "K";

const utf8 = new TextDecoder("utf-8");
const text = (b: Uint8Array): string => {
  const nul = b.indexOf(0);
  return utf8.decode(nul < 0 ? b : b.subarray(0, nul));
};

function paxNumber(v: Uint8Array, file: string, at: number, key: string): number {
  const s = utf8.decode(v);
  const n = Number(s);
  // Only mtime may be negative (before 1970) or fractional.
  if (s === "" || !Number.isFinite(n) || (key !== "mtime" && (n < 0 || !Number.isInteger(n)))) {
    throw new FormatError(file, at, `PAX ${key}`, key === "mtime" ? "a number" : "a whole number", s);
  }
  return key === "mtime" ? Math.trunc(n) : n;
}

/**
 * The PAX records and GNU long names that precede a member, and the rules that merge them into it. Both
 * the streaming reader and the archive index use it, so a member reads the same either way.
 *
 * Global PAX headers (`g`) are parsed for their syntax and otherwise ignored, as Go's archive/tar does:
 * Docker and containerd never apply them, and `git archive` puts a commit id in one.
 */
export class PendingMeta {
  private pax = new Map<string, Uint8Array>();
  private longName: string | undefined;
  private longLink: string | undefined;
  private start: number | undefined;

  constructor(private readonly file: string) {}

  /** A meta entry whose header is at `at`. */
  add(typeflag: string, at: number, data: Uint8Array, parse: (d: Uint8Array) => Map<string, Uint8Array>): void {
    if (typeflag !== "g") this.start ??= at;
    if (typeflag === "x") this.pax = parse(data);
    else if (typeflag === "g") parse(data);
    else if (typeflag === "L") this.longName = text(data);
    else this.longLink = text(data);
  }

  /**
   * The entry a real header at `headerAt` describes, with what came before it applied; clears the pending
   * state. Errors name the member's first block, where GNU tar -R lists it.
   */
  entry(h: RawHeader, headerAt: number): TarEntry {
    const pax = this.pax;
    const file = this.file;
    const at = this.start ?? headerAt;
    this.start = undefined;
    const rawName = pax.has("path") ? utf8.decode(pax.get("path")) : (this.longName ?? h.name);
    const rawLink = pax.has("linkpath") ? utf8.decode(pax.get("linkpath")) : (this.longLink ?? h.linkname);
    this.pax = new Map();
    this.longName = undefined;
    this.longLink = undefined;
    for (const key of pax.keys()) {
      if (key.startsWith("GNU.sparse.")) {
        throw new FormatError(file, at, "tar member", "a non-sparse member", `PAX ${key} for ${rawName}`);
      }
    }
    // Go reads '\0' ("old regular file") with a trailing slash as a directory, as V7 tars meant it.
    const typeflag = h.typeflag === "\0" ? (rawName.endsWith("/") ? "5" : "0") : h.typeflag;
    const type = TYPES.get(typeflag);
    if (type === undefined) {
      throw new FormatError(
        file,
        at,
        "tar header typeflag",
        "a file, link, device, directory or fifo",
        `${JSON.stringify(h.typeflag)} for ${rawName}`,
      );
    }
    const num = (key: string, fallback: number): number => {
      const v = pax.get(key);
      return v === undefined ? fallback : paxNumber(v, file, at, key);
    };
    const size = num("size", h.size);
    if (!Number.isSafeInteger(size)) throw new FormatError(file, at, "tar size", "a whole number", String(size));
    const xattrs = new Map<string, Uint8Array>();
    for (const [k, v] of pax) if (k.startsWith("SCHILY.xattr.")) xattrs.set(k.slice("SCHILY.xattr.".length), v);
    const path = cleanMemberPath(rawName, file, at);
    return {
      path,
      type,
      mode: h.mode & 0o7777,
      uid: num("uid", h.uid),
      gid: num("gid", h.gid),
      // Go's archive/tar treats links, devices, directories and fifos as header-only whatever `size` says.
      size: type === "file" ? size : 0,
      mtime: num("mtime", h.mtime),
      ...(type === "symlink" ? { linkTarget: rawLink } : {}),
      ...(type === "hardlink" ? { linkTarget: cleanMemberPath(rawLink, file, at, "tar hard link target") } : {}),
      devmajor: h.devmajor,
      devminor: h.devminor,
      xattrs,
      startOffset: at,
      headerOffset: headerAt,
      dataOffset: headerAt + BLOCK,
    };
  }
}
