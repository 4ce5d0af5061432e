import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { modeString } from "../../../src/cli/inspect.js";
import type { Inode } from "../../../src/formats/squashfs/reader.js";
import { SquashFs } from "../../../src/formats/squashfs/reader.js";
import { FileSource } from "../../../src/io/source.js";
import { type EntryFacts, expectedEntries, image, listing } from "./read-expected.js";

/** Every image the reader decodes, one per compressor and per mksquashfs layout option. */
const IMAGES = [
  "zstd",
  "gzip",
  "gzip-options",
  "xz",
  "xz-bcj",
  "lz4",
  "lz4-hc",
  "no-fragments",
  "tailends",
  "always-fragments",
  "all-root",
  "small-blocks",
  "uncompressed",
  "plain",
  "talos",
  "fuzz-raw",
  "fuzz-gzip",
];

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const minute = (t: number) => new Date(t * 1000).toISOString().slice(0, 16).replace("T", " ");

async function ourFacts(fs: SquashFs, inode: Inode): Promise<EntryFacts> {
  const facts: EntryFacts = {
    type: inode.type,
    mode: inode.mode,
    uid: inode.uid,
    gid: inode.gid,
    size: inode.size,
    nlink: inode.nlink,
    mtime: inode.mtime,
    xattrs: Object.fromEntries([...(await fs.listXattrs(inode))].map(([k, v]) => [k, hex(v)])),
  };
  if (inode.symlinkTarget !== undefined) facts.target = inode.symlinkTarget;
  if (inode.type === "block" || inode.type === "char") facts.device = `${inode.rdevMajor},${inode.rdevMinor}`;
  if (inode.type === "file") {
    const h = createHash("sha256");
    for await (const part of fs.readFile(inode)) h.update(part);
    facts.sha256 = h.digest("hex");
  }
  return facts;
}

describe("SquashFs against unsquashfs and getfattr", () => {
  it.each(IMAGES)(
    "%s: every entry, in `unsquashfs -lln` order, as unsquashfs extracts it (owner, mode, size, times, links, devices, xattrs, bytes)",
    async (name) => {
      const img = image(name);
      const expected = expectedEntries(img);
      const listed = listing(img);
      const src = await FileSource.open(img);
      try {
        const fs = await SquashFs.open(src);
        const order: string[] = [];
        const ours = new Map<string, EntryFacts>();
        const lines = new Map<string, string>();
        for await (const { path, inode } of fs.walk()) {
          order.push(path);
          ours.set(path, await ourFacts(fs, inode));
          lines.set(path, `${modeString(inode.type, inode.mode)} ${inode.uid}/${inode.gid} ${minute(inode.mtime)}`);
        }
        expect(order).toEqual(expected.order);
        for (const [path, facts] of expected.entries) expect([path, ours.get(path)]).toEqual([path, facts]);
        // The listing's own text: ls-style mode, numeric owner and the minute of the mtime.
        for (const [path, l] of listed)
          expect([path, lines.get(path)]).toEqual([path, `${l.mode} ${l.uid}/${l.gid} ${l.minute}`]);
      } finally {
        await src.close();
      }
    },
  );
});
