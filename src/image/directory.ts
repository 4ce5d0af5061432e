import { createReadStream, lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import type { Entry, EntryType } from "./layer.js";

/** A directory on disk as image entries, and the bytes of its files: what the SquashFS writer takes. */
export interface DirectorySource {
  readonly name: string;
  entries(): Iterable<Entry>;
  open(entry: Entry): Iterable<Uint8Array> | AsyncIterable<Uint8Array>;
}

/**
 * Files up to this size are read in one synchronous call, as the tree is walked with synchronous calls: for
 * thousands of small files the round trips of asynchronous ones cost more than the reads.
 */
const SMALL = 1 << 20;

function* readWhole(path: string): Generator<Uint8Array> {
  yield readFileSync(path);
}

const NO_XATTRS: ReadonlyMap<string, Uint8Array> = new Map();

/** glibc's gnu_dev_major/minor over the 64-bit dev_t Node reports. */
function splitDev(rdev: number): { major: number; minor: number } {
  const d = BigInt(rdev);
  return {
    major: Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn)),
    minor: Number((d & 0xffn) | ((d >> 12n) & ~0xffn)),
  };
}

/**
 * The tree under `root`, symlinks not followed, in name order. Files with several links come once as a file
 * and then as hard links to that first path. Extended attributes are not read: Node has no call for them, so
 * xattrs an image needs are given as entries instead.
 */
export function directorySource(root: string): DirectorySource {
  function* walk(path: string, seen: Map<string, string>): Generator<Entry> {
    const host = join(root, path);
    const st = lstatSync(host);
    const base = {
      path,
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
      size: 0,
      mtime: Math.floor(st.mtimeMs / 1000),
      xattrs: NO_XATTRS,
      at: -1,
    };
    const kind = (type: EntryType, more: Partial<Entry> = {}): Entry => ({ ...base, type, ...more });
    if (st.isDirectory()) {
      yield kind("dir");
      const names = readdirSync(host).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      for (const name of names) yield* walk(path === "/" ? `/${name}` : `${path}/${name}`, seen);
    } else if (st.isFile()) {
      const id = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? seen.get(id) : undefined;
      if (first !== undefined) {
        yield kind("hardlink", { linkTarget: first });
      } else {
        if (st.nlink > 1) seen.set(id, path);
        yield kind("file", { size: st.size });
      }
    } else if (st.isSymbolicLink()) {
      yield kind("symlink", { linkTarget: readlinkSync(host) });
    } else if (st.isBlockDevice() || st.isCharacterDevice()) {
      yield kind(st.isBlockDevice() ? "block" : "char", { rdev: splitDev(st.rdev) });
    } else {
      yield kind(st.isFIFO() ? "fifo" : "socket");
    }
  }
  return {
    name: root,
    entries: () => walk("/", new Map()),
    open: (entry) =>
      entry.size <= SMALL ? readWhole(join(root, entry.path)) : createReadStream(join(root, entry.path)),
  };
}
