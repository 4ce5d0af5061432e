import type { CpioEntry } from "../formats/cpio/reader.js";
import { type SegmentBounds, segmentEntries } from "../formats/initramfs/reader.js";
import { cleanMemberPath } from "../formats/tar/path.js";
import type { ByteSource } from "../io/source.js";
import type { Entry, Layer, LayerContent } from "./layer.js";

const NO_XATTRS: ReadonlyMap<string, Uint8Array> = new Map();

function layerEntry(e: CpioEntry, file: string): Entry {
  return {
    path: cleanMemberPath(e.name, file, e.headerOffset, "cpio member name"),
    type: e.type,
    mode: e.mode & 0o7777,
    uid: e.uid,
    gid: e.gid,
    size: e.type === "file" ? e.size : 0,
    mtime: e.mtime,
    ...(e.linkTarget !== undefined ? { linkTarget: e.linkTarget } : {}),
    ...(e.type === "char" || e.type === "block" ? { rdev: { major: e.rdevmajor, minor: e.rdevminor } } : {}),
    xattrs: NO_XATTRS,
    at: e.headerOffset,
  };
}

/**
 * One initramfs segment (a cpio archive, maybe compressed) as a Layer: names cleaned by the tar rules, `at`
 * a member's header offset in the decoded stream; content is decoded again up to the member.
 *
 * Hard links are the kernel's: regular files with nlink > 1 and the same device and inode number are one
 * file, whose bytes are the body some member of the group carries (GNU cpio puts it on the last). The group
 * is emitted when that member arrives: it as the file, the others as hard links to it.
 */
export function initramfsSegmentLayer(src: ByteSource, seg: SegmentBounds): Layer {
  const description = `${src.name}!segment ${seg.index}`;
  return {
    id: `segment ${seg.index}`,
    kind: "initramfs-segment",
    description,
    async *entries() {
      const groups = new Map<string, Entry[]>();
      for await (const { entry } of segmentEntries(src, seg)) {
        const e = layerEntry(entry, description);
        if (entry.type !== "file" || entry.nlink < 2) {
          yield e;
          continue;
        }
        const key = `${entry.devmajor}:${entry.devminor}:${entry.ino}`;
        const group = [...(groups.get(key) ?? []), e];
        if (entry.size === 0) {
          groups.set(key, group);
          continue;
        }
        groups.delete(key);
        yield e;
        for (const other of group) if (other !== e) yield { ...other, type: "hardlink", linkTarget: e.path };
      }
      // Groups whose bytes never came: empty files, linked to the first name.
      for (const [first, ...rest] of groups.values()) {
        if (first === undefined) continue;
        yield first;
        for (const other of rest) yield { ...other, type: "hardlink", linkTarget: first.path };
      }
    },
    async *contents(wanted: readonly Entry[]): AsyncGenerator<LayerContent> {
      const byOffset = new Map(wanted.map((e) => [e.at, e]));
      const last = Math.max(-1, ...byOffset.keys());
      for await (const { entry, body } of segmentEntries(src, seg)) {
        if (entry.headerOffset > last) return;
        const w = byOffset.get(entry.headerOffset);
        if (w !== undefined) yield { entry: w, body };
      }
    },
  };
}

/**
 * The regular files of one segment that `want` picks by path, with their content, in one pass: entries() and
 * then contents() would decode a compressed segment twice. A hard-link group is the member that carries its
 * bytes (or, when none does, its first member, empty), as entries() gives it. A compressed segment is decoded
 * into one buffer: each body chunk is valid only until the next is asked for.
 */
export async function* segmentFiles(
  src: ByteSource,
  seg: SegmentBounds,
  want: (path: string) => boolean,
): AsyncGenerator<LayerContent> {
  const description = `${src.name}!segment ${seg.index}`;
  const empty = new Map<string, Entry>();
  for await (const { entry, body } of segmentEntries(src, seg, true)) {
    if (entry.type !== "file") continue;
    const e = layerEntry(entry, description);
    const key = `${entry.devmajor}:${entry.devminor}:${entry.ino}`;
    if (entry.nlink > 1 && entry.size === 0) {
      if (!empty.has(key)) empty.set(key, e);
      continue;
    }
    if (entry.nlink > 1) empty.delete(key);
    if (want(e.path)) yield { entry: e, body };
  }
  for (const e of empty.values()) if (want(e.path)) yield { entry: e, body: noBytes() };
}

async function* noBytes(): AsyncGenerator<Uint8Array> {
  yield* [];
}
