import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { METADATA_HEADER_SIZE, refBlock, refOffset } from "../../../src/formats/squashfs/format.js";
import { SquashFs } from "../../../src/formats/squashfs/reader.js";
import { FormatError, LimitError } from "../../../src/io/errors.js";
import { BufferSource, type ByteSource } from "../../../src/io/source.js";
import { image } from "./read-expected.js";

/** Reads cut off past this many: a reader that keeps going on a small image is looping. */
const MAX_READS = 100_000;

function bounded(name: string, bytes: Uint8Array): ByteSource {
  const inner = new BufferSource(name, bytes);
  let reads = 0;
  return {
    name,
    size: inner.size,
    read: (offset, length, what) => {
      if (++reads > MAX_READS) throw new Error(`more than ${MAX_READS} reads: a loop`);
      return inner.read(offset, length, what);
    },
  };
}

/** Everything the API offers: the whole tree with xattrs and contents, and lookups of some of its paths. */
async function readAll(bytes: Uint8Array): Promise<void> {
  const fs = await SquashFs.open(bounded("damaged.sqsh", bytes));
  await fs.listXattrs(await fs.root());
  let n = 0;
  for await (const { path, inode } of fs.walk()) {
    await fs.listXattrs(inode);
    if (inode.type === "file") for await (const _ of fs.readFile(inode)) void _;
    if (inode.type === "symlink") await fs.readlink(path);
    if (n++ % 16 === 0) {
      await fs.stat(path);
      await fs.inodeByNumber(inode.number);
    }
  }
}

/** Either the image still reads, or the failure is typed and says where and in what. */
async function typedOrFine(bytes: Uint8Array, what: string): Promise<"ok" | "typed"> {
  try {
    await readAll(bytes);
    return "ok";
  } catch (err) {
    if (!(err instanceof FormatError || err instanceof LimitError)) {
      throw new Error(`${what}: untyped ${(err as Error).stack}`);
    }
    expect([what, Number.isSafeInteger(err.offset) && err.offset >= 0 && err.offset <= bytes.length]).toEqual([
      what,
      true,
    ]);
    expect(err instanceof FormatError ? err.structure : err.what).not.toBe("");
    return "typed";
  }
}

const u64At = (b: Uint8Array, o: number) => Number(new DataView(b.buffer, b.byteOffset).getBigUint64(o, true));

function prng(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s % n;
  };
}

describe("SquashFs on damaged images", () => {
  it.each(["fuzz-raw", "fuzz-gzip", "zstd"])(
    "%s: truncation at 150 offsets is a FormatError naming the offset",
    async (name) => {
      const bytes = readFileSync(image(name));
      const used = u64At(bytes, 0x28);
      for (let cut = 0; cut < used; cut += Math.max(1, Math.floor(used / 150))) {
        const err = await readAll(bytes.subarray(0, cut)).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect([cut, err instanceof FormatError]).toEqual([cut, true]);
      }
    },
  );

  it.each([
    ["fuzz-raw", 300],
    ["fuzz-gzip", 150],
    ["talos", 100],
    ["lz4", 60],
  ] as const)(
    "%s: %i seeded random mutations read or fail typed, never untyped, looping or unbounded",
    async (name, cases) => {
      const original = readFileSync(image(name));
      const tables = u64At(original, 0x40);
      const used = u64At(original, 0x28);
      const rand = prng(name.length * 7919);
      const outcomes = { ok: 0, typed: 0 };
      for (let i = 0; i < cases; i++) {
        const b = Buffer.from(original);
        const kind = rand(10);
        // Mostly the tables (inodes, directories, lookup tables, xattrs); some superblock and data bytes.
        const [lo, hi] = kind < 7 ? [tables, used] : kind < 8 ? [0, 96] : [96, tables];
        const n = 1 + rand(6);
        for (let k = 0; k < n; k++) {
          const at = lo + rand(hi - lo);
          b[at] = rand(3) === 0 ? 0xff : rand(256);
        }
        outcomes[await typedOrFine(b, `${name} case ${i}`)]++;
      }
      // Both outcomes occur: the mutations reach structure fields and file contents alike.
      expect(outcomes.typed).toBeGreaterThan(cases / 4);
      expect(outcomes.ok).toBeGreaterThan(0);
    },
  );

  it("zeroed runs inside the tables read or fail typed", async () => {
    const original = readFileSync(image("fuzz-gzip"));
    const tables = u64At(original, 0x40);
    const used = u64At(original, 0x28);
    const rand = prng(99);
    for (let i = 0; i < 100; i++) {
      const b = Buffer.from(original);
      const at = tables + rand(used - tables);
      b.fill(0, at, Math.min(used, at + 1 + rand(64)));
      await typedOrFine(b, `zeroed at ${at}`);
    }
  });
});

describe("hostile structures made from a real image", () => {
  const original = readFileSync(image("fuzz-raw"));

  /** Where an inode's bytes are in an image whose inode table is stored uncompressed. */
  async function inodeBytes(fs: SquashFs, path: string): Promise<number> {
    const inode = await fs.stat(path, { followSymlinks: false });
    if (inode === undefined) throw new Error(path);
    expect(refOffset(inode.ref) + 64).toBeLessThan(8192);
    return fs.superblock.inodeTableStart + refBlock(inode.ref) + METADATA_HEADER_SIZE + refOffset(inode.ref);
  }

  it("a subdirectory given its parent's listing is refused, not walked forever", async () => {
    const fs = await SquashFs.open(new BufferSource("fuzz-raw.sqsh", original));
    const parent = await fs.stat("/d");
    const child = await fs.stat("/d/e");
    expect(child?.disk.type).toBe(1);
    if (parent?.disk.type !== 8 && parent?.disk.type !== 1) throw new Error("/d is not a directory");
    const b = Buffer.from(original);
    const at = await inodeBytes(fs, "/d/e");
    b.writeUInt32LE(parent.disk.startBlock, at + 16);
    b.writeUInt16LE(parent.disk.fileSize, at + 24);
    b.writeUInt16LE(parent.disk.offset, at + 26);
    await expect(readAll(b)).rejects.toThrow(/listing of \/d\/e.*one shared with another directory/);
  });

  it("an entry naming its own ancestor directory is a loop, refused", async () => {
    const fs = await SquashFs.open(new BufferSource("fuzz-raw.sqsh", original));
    const d = await fs.stat("/d");
    const e = await fs.stat("/d/e");
    if (e?.disk.type !== 1 || d === undefined) throw new Error("/d/e is not a basic directory");
    // /d/e's listing: one run header, then "hard"; point the entry at /d as a directory.
    const b = Buffer.from(original);
    const listing = fs.superblock.directoryTableStart + e.disk.startBlock + METADATA_HEADER_SIZE + e.disk.offset;
    b.writeUInt32LE(refBlock(d.ref), listing + 4);
    b.writeInt32LE(d.number, listing + 8);
    b.writeUInt16LE(refOffset(d.ref), listing + 12);
    b.writeInt16LE(0, listing + 14);
    b.writeUInt16LE(1, listing + 16);
    await expect(readAll(b)).rejects.toThrow(/directory \/d\/e\/hard.*a tree without loops/);
  });

  it("a file claiming 2^50 bytes fails at the inode table's end, not by allocating its block list", async () => {
    const fs = await SquashFs.open(new BufferSource("fuzz-raw.sqsh", original));
    const hard = await fs.stat("/d/a");
    expect(hard?.disk.type).toBe(9);
    const b = Buffer.from(original);
    b.writeBigUInt64LE(2n ** 50n, (await inodeBytes(fs, "/d/a")) + 16 + 8);
    await expect(readAll(b)).rejects.toBeInstanceOf(FormatError);
  });

  it("a zstd block declaring more than a block's bytes is refused before decoding", async () => {
    const bytes = Buffer.from(readFileSync(image("zstd")));
    const fs = await SquashFs.open(new BufferSource("zstd.sqsh", bytes));
    const big = await fs.stat("/dir/text");
    if (big?.disk.type !== 2) throw new Error("/dir/text is not a basic file");
    const at = big.disk.blocksStart;
    expect(bytes.readUInt32LE(at)).toBe(0xfd2fb528);
    // Frame header: single segment with a 4-byte content size, no dictionary id.
    const fhd = bytes[at + 4] as number;
    expect(fhd >> 6).toBe(2);
    bytes.writeUInt32LE(0xf0000000, at + 5 + ((fhd & 0x20) !== 0 ? 0 : 1));
    const damaged = await SquashFs.open(new BufferSource("zstd.sqsh", bytes));
    const read = async () => {
      for await (const _ of damaged.readFile("/dir/text")) void _;
    };
    await expect(read()).rejects.toBeInstanceOf(LimitError);
    await expect(read()).rejects.toThrow(new RegExp(`offset ${at} \\(data block 0 of a file\\)`));
  });
});
