import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, type Stats } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Inode } from "../../../src/formats/squashfs/reader.js";

/** What the real tools say about one squashfs image: unsquashfs -s, -lln and -d, and getfattr. */

export const FIXTURES = join(import.meta.dirname, "../../fixtures/out/squashfs");
export const image = (name: string): string => join(FIXTURES, `${name}.sqsh`);

const run = (cmd: string, args: string[]): string =>
  execFileSync(cmd, args, { encoding: "utf8", maxBuffer: 256 << 20, env: { ...process.env, TZ: "UTC", LC_ALL: "C" } });

/** One `unsquashfs -lln` line: the ls-style mode, owner, size (or its device field), minute and link target. */
export interface ListedEntry {
  readonly mode: string;
  readonly uid: number;
  readonly gid: number;
  readonly size: string;
  readonly minute: string;
  readonly target?: string;
}

/** `unsquashfs -lln` in its order (depth first, directory order), root excluded. */
export function listing(img: string): Map<string, ListedEntry> {
  const out = new Map<string, ListedEntry>();
  for (const line of run("unsquashfs", ["-lln", img]).trimEnd().split("\n")) {
    const m =
      /^(\S{10}) (\d+)\/(\d+)\s+(-?\d+,\s*\d+|\d+) (\d{4}-\d\d-\d\d \d\d:\d\d) squashfs-root(.*?)(?: -> (.*))?$/.exec(
        line,
      );
    if (m === null) throw new Error(`unparsed unsquashfs line: ${line}`);
    const [, mode, uid, gid, size, minute, path, target] = m as unknown as string[];
    if (path === "") continue;
    out.set(path as string, {
      mode: mode as string,
      uid: Number(uid),
      gid: Number(gid),
      size: (size as string).replace(/,\s*/, ","),
      minute: minute as string,
      ...(target === undefined ? {} : { target }),
    });
  }
  return out;
}

/** `unsquashfs -s`: every "Label value" line, the compressor option lines (tab-indented) apart. */
export function superblockReport(img: string): { lines: string[]; options: string[] } {
  const text = run("unsquashfs", ["-s", img]);
  const all = text.trimEnd().split("\n");
  return {
    lines: all.filter((l) => !l.startsWith("\t")),
    options: all.filter((l) => l.startsWith("\t")).map((l) => l.trim()),
  };
}

/** An image extracted by `unsquashfs -d` (as root: owners, devices and every xattr namespace kept). */
export function extract(img: string): { root: string; cleanup: () => void } {
  const work = mkdtempSync(join(tmpdir(), "unsquashfs-"));
  const root = join(work, "r");
  run("unsquashfs", ["-q", "-n", "-d", root, img]);
  return { root, cleanup: () => rmSync(work, { recursive: true, force: true }) };
}

/** `getfattr -R -h -d -m - -e hex` over an extracted tree: path → name → hex value. */
export function xattrDump(root: string): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  const text = run("getfattr", ["-R", "-h", "-d", "-m", "-", "-e", "hex", "--absolute-names", root]);
  for (const block of text.trim().split("\n\n")) {
    if (block === "") continue;
    const [head, ...attrs] = block.split("\n");
    const path = (head as string).replace(/^# file: /, "").slice(root.length);
    out.set(
      path,
      Object.fromEntries(
        attrs.map((a) => {
          const eq = a.indexOf("=");
          return eq < 0 ? [a, ""] : [a.slice(0, eq), a.slice(eq + 3)];
        }),
      ),
    );
  }
  return out;
}

/** The kind of an extracted entry, named as the reader names inode kinds. */
export function kindOf(st: Stats): Inode["type"] {
  if (st.isFile()) return "file";
  if (st.isDirectory()) return "dir";
  if (st.isSymbolicLink()) return "symlink";
  if (st.isBlockDevice()) return "block";
  if (st.isCharacterDevice()) return "char";
  if (st.isFIFO()) return "fifo";
  return "socket";
}

/** glibc's major()/minor() of a dev_t. */
export const devMajor = (dev: number): number =>
  Number((BigInt(dev) >> 8n) & 0xfffn) | Number((BigInt(dev) >> 32n) & ~0xfffn);
export const devMinor = (dev: number): number => Number(BigInt(dev) & 0xffn) | Number((BigInt(dev) >> 12n) & ~0xffn);

/** Everything compared per entry. */
export interface EntryFacts {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  nlink: number;
  mtime: number;
  target?: string;
  device?: string;
  xattrs: Record<string, string>;
  sha256?: string;
}

/**
 * The facts of every entry as the tools see them: from the extracted tree (lstat, readlink, file bytes,
 * getfattr), except a directory's size, which only the listing shows (the stored size: listing + 3).
 */
export function expectedEntries(img: string, hashFiles = true): { order: string[]; entries: Map<string, EntryFacts> } {
  const listed = listing(img);
  const { root, cleanup } = extract(img);
  try {
    const xattrs = xattrDump(root);
    const entries = new Map<string, EntryFacts>();
    for (const [path, l] of listed) {
      const st = lstatSync(join(root, path));
      const type = kindOf(st);
      const facts: EntryFacts = {
        type,
        mode: st.mode & 0o7777,
        uid: st.uid,
        gid: st.gid,
        size: type === "dir" ? Number(l.size) : type === "block" || type === "char" ? 0 : st.size,
        nlink: st.nlink,
        mtime: Math.floor(st.mtimeMs / 1000),
        xattrs: xattrs.get(path) ?? {},
      };
      if (type === "symlink") facts.target = readlinkSync(join(root, path), "utf8");
      if (type === "block" || type === "char") facts.device = `${devMajor(st.rdev)},${devMinor(st.rdev)}`;
      if (type === "file" && hashFiles) {
        facts.sha256 = createHash("sha256")
          .update(readFileSync(join(root, path)))
          .digest("hex");
      }
      entries.set(path, facts);
    }
    return { order: [...listed.keys()], entries };
  } finally {
    cleanup();
  }
}
