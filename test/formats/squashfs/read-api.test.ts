import { closeSync, lstatSync, openSync, readFileSync, readlinkSync, readSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { SquashFs } from "../../../src/formats/squashfs/reader.js";
import { FormatError } from "../../../src/io/errors.js";
import { BufferSource, type ByteSource, FileSource, SliceSource } from "../../../src/io/source.js";
import { extract, image, listing } from "./read-expected.js";

async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const p of it) parts.push(p);
  return Buffer.concat(parts);
}

async function walkRefs(fs: SquashFs): Promise<Map<string, number>> {
  const refs = new Map<string, number>();
  for await (const { path, inode } of fs.walk()) refs.set(path, inode.ref);
  return refs;
}

/** A source that records the offset of every read. */
function counting(src: ByteSource): { src: ByteSource; reads: number[] } {
  const reads: number[] = [];
  return {
    reads,
    src: {
      name: src.name,
      size: src.size,
      read: (offset, length, what) => {
        reads.push(offset);
        return src.read(offset, length, what);
      },
    },
  };
}

describe("SquashFs paths, symlinks, ranges and tables (zstd image, checked on its unsquashfs extraction)", () => {
  const img = image("zstd");
  let root: string;
  let cleanup: () => void;
  let fs: SquashFs;
  let refs: Map<string, number>;
  beforeAll(async () => {
    ({ root, cleanup } = extract(img));
    fs = await SquashFs.open(new BufferSource(img, readFileSync(img)));
    refs = await walkRefs(fs);
  });
  afterAll(() => cleanup());

  /** The entry a path names on the extracted tree, symlinks resolved by the host inside that tree. */
  const hostResolve = (path: string) => realpathSync(join(root, path)).slice(root.length);

  it("finds every walked path by lookup, the 6000-entry directory through its index", async () => {
    const found: [string, number | undefined][] = [];
    for (const path of refs.keys()) found.push([path, (await fs.stat(path, { followSymlinks: false }))?.ref]);
    expect(found).toEqual([...refs]);
    const many = await fs.stat("/many");
    expect(many?.disk.type).toBe(8);
    expect(many?.disk.type === 8 && many.disk.index.length).toBeGreaterThan(0);
  });

  it("reads one directory metadata block, not the whole listing, to find the last of 6000 names", async () => {
    const { src, reads } = counting(new BufferSource(img, readFileSync(img)));
    const cold = await SquashFs.open(src);
    const before = reads.length;
    const last = [...listing(img).keys()].filter((p) => p.startsWith("/many/")).pop() as string;
    expect((await cold.stat(last))?.ref).toBe(refs.get(last));
    const dirBlocks = reads
      .slice(before)
      .filter((o) => o >= cold.superblock.directoryTableStart && o < (cold.superblock.fragmentTableStart ?? 0));
    // The root's listing, the index's block of /many, and at most the next one where a run straddles.
    expect(dirBlocks.length).toBeLessThanOrEqual(3);
  });

  it("answers undefined for missing names, paths through files and dangling links", async () => {
    for (const p of [
      "/nope",
      "/many/a",
      "/many/zzzz",
      "/many/entry-with-a-longer-name-00000",
      "/empty/x",
      "/abs",
      "/abs/x",
    ]) {
      expect([p, await fs.stat(p)]).toEqual([p, undefined]);
      expect(() => realpathSync(join(root, p))).toThrow(/ENOENT|ENOTDIR/);
    }
    expect((await fs.stat("/abs", { followSymlinks: false }))?.type).toBe("symlink");
  });

  it("follows relative symlinks to the entries the host resolves in the extracted tree", async () => {
    for (const p of [
      "/dirlink",
      "/dirlink/b",
      "/dirlink/link",
      "/dir/sub/link",
      "/x/link",
      "/dir/sub/../a",
      "/./dir//a",
    ]) {
      expect([p, (await fs.stat(p))?.ref]).toEqual([p, refs.get(hostResolve(p))]);
    }
    // Without following, the last component is the link itself; links before it are still followed.
    expect((await fs.stat("/dirlink/link", { followSymlinks: false }))?.ref).toBe(refs.get("/dir/sub/link"));
  });

  it("resolves absolute targets from the image's root", async () => {
    const target = readlinkSync(join(root, "abs-chain"));
    expect(target.startsWith("/")).toBe(true);
    expect((await fs.stat("/abs-chain"))?.ref).toBe(refs.get(realpathSync(join(root, target)).slice(root.length)));
  });

  it("gives up on a symlink loop after 40 links, as the host does with ELOOP", async () => {
    expect(() => realpathSync(join(root, "loop1"))).toThrow(/ELOOP/);
    await expect(fs.stat("/loop1")).rejects.toThrow(/at most 40 symlinks/);
    await expect(fs.stat("/loop1")).rejects.toBeInstanceOf(FormatError);
    expect((await fs.stat("/loop1", { followSymlinks: false }))?.type).toBe("symlink");
  });

  it("reads links as readlink(2) does on the extracted tree", async () => {
    for (const p of ["/dir/sub/link", "/dirlink/link", "/abs", "/dirlink"]) {
      expect([p, await fs.readlink(p)]).toEqual([p, readlinkSync(join(root, p))]);
    }
    expect(await fs.readlink("/dir/a")).toBeUndefined();
    expect(await fs.readlink("/nope")).toBeUndefined();
  });

  it("lists a directory in stored order, as unsquashfs lists it", async () => {
    const children = [...listing(img).keys()].filter((p) => /^\/dir\/[^/]+$/.test(p)).map((p) => p.slice(5));
    expect((await fs.readdir("/dir")).map((e) => e.name)).toEqual(children);
  });

  it("shares one inode between the names of a hard-link group, as unsquashfs re-links them", async () => {
    const byHostInode = new Map<number, string[]>();
    const byRef = new Map<number, string[]>();
    for (const [path, ref] of refs) {
      const st = lstatSync(join(root, path));
      if (!st.isFile()) continue;
      byHostInode.set(st.ino, [...(byHostInode.get(st.ino) ?? []), path]);
      byRef.set(ref, [...(byRef.get(ref) ?? []), path]);
    }
    const groups = (m: Map<number, string[]>) => [...m.values()].filter((g) => g.length > 1).sort();
    expect(groups(byRef)).toEqual(groups(byHostInode));
    expect(groups(byRef).length).toBeGreaterThan(0);
  });

  it("reads files by path (through symlinks) and byte ranges of them", async () => {
    expect(await collect(fs.readFile("/x/link"))).toEqual(readFileSync(join(root, "x/file")));
    await expect(collect(fs.readFile("/dir"))).rejects.toThrow(/not a regular file/);
    await expect(collect(fs.readFile("/nope"))).rejects.toThrow(/no such path/);
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (const p of ["/dir/big", "/dir/above", "/dir/text", "/sparse-mixed", "/dir/below", "/empty"]) {
      const whole = readFileSync(join(root, p));
      const ranges = [
        { offset: 0, length: whole.length },
        { offset: whole.length, length: 10 },
        { offset: 131072 - 5, length: 10 },
        { offset: Math.max(0, whole.length - 3), length: 100 },
        { offset: 0, length: 0 },
        ...Array.from({ length: 8 }, () => ({ offset: rand(whole.length + 1), length: rand(300000) })),
      ];
      for (const r of ranges) {
        const got = await collect(fs.readFile(p, r));
        expect([p, r, got.equals(whole.subarray(r.offset, r.offset + r.length))]).toEqual([p, r, true]);
      }
    }
  });

  it("finds every inode by number through the export table", async () => {
    const numbers = new Set<number>([(await fs.root()).number]);
    for await (const { inode } of fs.walk()) {
      numbers.add(inode.number);
      expect((await fs.inodeByNumber(inode.number))?.ref).toBe(inode.ref);
    }
    expect(numbers.size).toBe(fs.superblock.inodeCount);
    const file = await FileSource.open(image("plain"));
    const plain = await SquashFs.open(file);
    expect(await plain.inodeByNumber(1)).toBeUndefined();
    await file.close();
  });

  it("decodes each metadata block once however often the tree is walked and searched", async () => {
    const { src, reads } = counting(new BufferSource(img, readFileSync(img)));
    const cold = await SquashFs.open(src);
    await walkRefs(cold);
    await walkRefs(cold);
    for (const p of refs.keys()) await cold.stat(p, { followSymlinks: false });
    const meta = reads.filter((o) => o >= cold.superblock.inodeTableStart);
    expect(meta.length).toBeGreaterThan(10);
    expect(meta.length).toBe(new Set(meta).size);
  });

  it("reads the image from a slice of a larger input", async () => {
    const bytes = readFileSync(img);
    const outer = Buffer.concat([Buffer.alloc(12345, 0xaa), bytes, Buffer.alloc(777, 0x55)]);
    const sliced = await SquashFs.open(
      new SliceSource(new BufferSource("outer.bin", outer), 12345, bytes.length, "outer.bin!zstd.sqsh"),
    );
    expect([...(await walkRefs(sliced))]).toEqual([...refs]);
    expect((await collect(sliced.readFile("/dir/big"))).equals(readFileSync(join(root, "dir/big")))).toBe(true);
  });
});

describe("a file over 4 GiB", () => {
  it("has its 64-bit size and sparse blocks, and its tail and middle read by range as unsquashfs extracts them", async () => {
    const img = image("huge");
    const file = await FileSource.open(img);
    onTestFinished(() => file.close());
    const fs = await SquashFs.open(file);
    const inode = await fs.stat("/huge");
    expect(String(inode?.size)).toBe(listing(img).get("/huge")?.size);
    expect(inode?.disk.type === 9 && inode.disk.sparse).toBeGreaterThan(0);
    const { root, cleanup } = extract(img);
    try {
      const size = lstatSync(join(root, "huge")).size;
      const fd = openSync(join(root, "huge"), "r");
      const host = (offset: number, length: number) => {
        const b = Buffer.alloc(Math.min(length, size - offset));
        readSync(fd, b, 0, b.length, offset);
        return b;
      };
      for (const r of [
        { offset: size - 100, length: 100 },
        { offset: 2 ** 32 - 50, length: 100 },
        { offset: (1 << 20) * 3 - 10, length: 20 },
      ]) {
        expect(await collect(fs.readFile("/huge", r))).toEqual(host(r.offset, r.length));
      }
      closeSync(fd);
    } finally {
      cleanup();
    }
  });
});
