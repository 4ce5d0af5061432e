/**
 * Reading a repository's text files: bounded, without following a symlink loop forever, refusing bytes that
 * are not text, and turning offsets into the 1-based line and column a finding points at.
 */
import { lstat, readFile, readlink, realpath, stat } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";

export interface Place {
  readonly line: number;
  /** 1-based, in UTF-16 code units (what SARIF's `utf16CodeUnits` column kind means). */
  readonly column: number;
}

/** Offsets to places for one text. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 0x0a) this.starts.push(i + 1);
  }

  place(offset: number): Place {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (this.starts[lo] as number) + 1 };
  }

  /** Offset of a 1-based line and column. */
  offset(place: Place): number {
    return (this.starts[Math.min(place.line, this.starts.length) - 1] ?? 0) + place.column - 1;
  }
}

/** Why a file could not be read as text; `place` when a byte offset says where. */
export interface ReadProblem {
  readonly file: string;
  readonly message: string;
  readonly place?: Place;
}

export type ReadResult = { readonly text: string } | { readonly problem: ReadProblem };

/** Files the checks read are small YAML and text files; anything larger is not one of them. */
export const MAX_TEXT_FILE = 4 * 1024 * 1024;
/** Linux gives up after 40 links (MAXSYMLINKS); describing a chain stops there too. */
const MAX_LINKS = 40;

/** `a -> b -> a`: the chain of links from `file` until it repeats or leaves the limit. */
async function linkChain(root: string, file: string): Promise<string> {
  const seen: string[] = [];
  let current = resolve(root, file);
  for (let i = 0; i < MAX_LINKS; i++) {
    const shown = relative(root, current) || ".";
    if (seen.includes(shown)) return [...seen, shown].join(" -> ");
    seen.push(shown);
    let target: string;
    try {
      target = await readlink(current);
    } catch {
      break;
    }
    current = resolve(dirname(current), target);
  }
  return `${seen.join(" -> ")} -> …`;
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/** The first offset that is not valid UTF-8, for the message. */
function firstBadUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i] as number;
    const n = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    if (n === 0 || i + n > bytes.length) return i;
    try {
      decoder.decode(bytes.subarray(i, i + n));
    } catch {
      return i;
    }
    i += n;
  }
  return 0;
}

/** Place of a byte offset, counting lines in the valid prefix. */
function bytePlace(bytes: Uint8Array, offset: number): Place {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * Reads `file` (relative to `root`) as UTF-8 text. A symlink is followed as the build would follow it, but a
 * loop, a dangling link, a link out of the repository, NUL bytes or invalid UTF-8 come back as a problem.
 */
export async function readText(root: string, file: string): Promise<ReadResult> {
  const path = join(root, file);
  const problem = (message: string, place?: Place): ReadResult => ({
    problem: { file, message, ...(place ? { place } : {}) },
  });
  let link: boolean;
  try {
    link = (await lstat(path)).isSymbolicLink();
  } catch (err) {
    return problem(`cannot read: ${(err as Error).message}`);
  }
  let bytes: Uint8Array;
  try {
    if (link) {
      const target = await realpath(path);
      const rootReal = await realpath(root);
      if (target !== rootReal && !target.startsWith(rootReal + sep)) {
        return problem(`symlink to ${target}, outside the repository: the build context does not hold it`);
      }
    }
    const st = await stat(path);
    if (!st.isFile()) return problem("not a regular file");
    if (st.size > MAX_TEXT_FILE) {
      return problem(`${st.size} bytes: larger than the ${MAX_TEXT_FILE} bytes a text file here may have`);
    }
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (link && code === "ELOOP") return problem(`symlink loop: ${await linkChain(root, file)}`);
    if (link && code === "ENOENT") return problem(`dangling symlink: ${await linkChain(root, file)}`);
    return problem(`cannot read: ${(err as Error).message}`);
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) return problem(`binary data (a NUL byte at offset ${nul}), expected text`, bytePlace(bytes, nul));
  try {
    return { text: decoder.decode(bytes) };
  } catch {
    const at = firstBadUtf8(bytes);
    return problem(`binary data (invalid UTF-8 at offset ${at}), expected text`, bytePlace(bytes, at));
  }
}
