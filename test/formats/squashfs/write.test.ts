import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  chmodSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { WriteCompressor } from "../../../src/formats/squashfs/encode.js";
import { SquashFs } from "../../../src/formats/squashfs/reader.js";
import { WriteInputError } from "../../../src/formats/squashfs/write-tree.js";
import { type SquashfsWriteOptions, writeSquashfs } from "../../../src/formats/squashfs/writer.js";
import { directorySource } from "../../../src/image/directory.js";
import type { Entry } from "../../../src/image/layer.js";
import { BufferSource } from "../../../src/io/source.js";
import { type EntryFacts, expectedEntries, kindOf, superblockReport } from "./read-expected.js";

const work = mkdtempSync(join(tmpdir(), "sqfs-write-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let serial = 0;
const scratch = (name: string) => join(work, `${serial++}-${name}`);

const unsquashfs = (...args: string[]) =>
  execFileSync("unsquashfs", args, { encoding: "utf8", maxBuffer: 256 << 20, env: { ...process.env, LC_ALL: "C" } });

/**
 * A tree with what the writer must get right: sizes around the block size, a sparse file, duplicates, hard
 * links, symlinks (relative, absolute, dangling), a 255-byte name, a 60-deep path, `many` files in one
 * directory, special mode bits, a fifo. Created in a scrambled order so the disk's order is not the image's.
 */
function makeTree(root: string, blockSize: number, seed: string, many = 200): void {
  const rnd = (n: number) => createHash("sha512").update(`${seed}${n}`).digest();
  const bytes = (n: number, salt: number) => {
    const out = Buffer.alloc(n);
    for (let at = 0, i = 0; at < n; at += 64, i++) rnd(salt * 1e6 + i).copy(out, at);
    return out;
  };
  mkdirSync(join(root, "sizes"), { recursive: true });
  for (const [i, n] of [0, 1, blockSize - 1, blockSize, blockSize + 1, 3 * blockSize + 5].entries()) {
    writeFileSync(join(root, "sizes", `f${n}`), bytes(n, i));
  }
  // Sparse: two zero blocks, then data; and a whole-zero file of four blocks.
  writeFileSync(join(root, "sizes", "sparse"), Buffer.concat([Buffer.alloc(2 * blockSize), bytes(100, 9)]));
  writeFileSync(join(root, "sizes", "zeros"), Buffer.alloc(4 * blockSize));
  writeFileSync(join(root, "sizes", "dup-a"), bytes(blockSize + 10, 5));
  writeFileSync(join(root, "sizes", "dup-b"), bytes(blockSize + 10, 5));
  writeFileSync(join(root, "sizes", "small-dup"), bytes(1, 1));
  mkdirSync(join(root, "links"));
  writeFileSync(join(root, "links", "target"), "linked\n");
  linkSync(join(root, "links", "target"), join(root, "links", "hard1"));
  linkSync(join(root, "links", "target"), join(root, "hard2"));
  symlinkSync("target", join(root, "links", "rel"));
  symlinkSync("/etc/passwd", join(root, "links", "abs"));
  symlinkSync("../nowhere", join(root, "links", "dangling"));
  execFileSync("mkfifo", [join(root, "links", "fifo")]);
  writeFileSync(join(root, "n".repeat(255)), "long name\n");
  let deep = join(root, "deep");
  for (let i = 0; i < 60; i++) deep = join(deep, `d${i}`);
  mkdirSync(deep, { recursive: true });
  writeFileSync(join(deep, "leaf"), "deep\n");
  const dir = join(root, "many");
  mkdirSync(dir);
  for (let i = 0; i < many; i++) {
    const j = (i * 7919) % many;
    writeFileSync(join(dir, `m${j}`), `${j}\n`);
  }
  writeFileSync(join(root, "setuid"), "#!/bin/sh\n");
  chmodSync(join(root, "setuid"), 0o4755);
  mkdirSync(join(root, "sticky"));
  chmodSync(join(root, "sticky"), 0o1777);
  writeFileSync(join(root, "private"), "secret\n");
  chmodSync(join(root, "private"), 0o600);
}

/** The input tree's facts in expectedEntries' terms, for the fields that must come back from the image. */
function sourceFacts(root: string, opts: { allRoot?: boolean; mtime?: number }): Map<string, Partial<EntryFacts>> {
  const out = new Map<string, Partial<EntryFacts>>();
  const visit = (path: string) => {
    for (const name of readdirSync(join(root, path))) {
      const p = `${path}/${name}`;
      const st = lstatSync(join(root, p));
      const type = kindOf(st);
      out.set(p, {
        type,
        mode: st.mode & 0o7777,
        uid: opts.allRoot ? 0 : st.uid,
        gid: opts.allRoot ? 0 : st.gid,
        mtime: opts.mtime ?? Math.floor(st.mtimeMs / 1000),
        ...(type === "dir" ? {} : { size: st.size, nlink: st.nlink }),
        ...(type === "symlink" ? { target: readlinkSync(join(root, p), "utf8") } : {}),
        ...(type === "file"
          ? {
              sha256: createHash("sha256")
                .update(readFileSync(join(root, p)))
                .digest("hex"),
            }
          : {}),
      });
      if (type === "dir") visit(p);
    }
  };
  visit("");
  return out;
}

function imageFacts(img: string): Map<string, Partial<EntryFacts>> {
  const { entries } = expectedEntries(img);
  return new Map(
    [...entries].map(([p, f]) => {
      const { size, nlink, device, xattrs, ...rest } = f;
      const keep: Partial<EntryFacts> = rest;
      if (f.type !== "dir") Object.assign(keep, { size, nlink });
      return [p, keep];
    }),
  );
}

const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

describe("SquashFS writer: images round-trip through unsquashfs", () => {
  const cases: { compressor: WriteCompressor; level?: number; blockSize?: number; label: string; many?: number }[] = [
    { compressor: "zstd", label: "zstd, default level, 3000 files in one directory", many: 3000 },
    { compressor: "zstd", level: 19, label: "zstd level 19" },
    { compressor: "xz", label: "xz" },
    { compressor: "gzip", label: "gzip" },
    { compressor: "gzip", level: 1, blockSize: 4096, label: "gzip level 1, 4 KiB blocks" },
  ];
  for (const c of cases) {
    it(`${c.label}: unsquashfs -s, -lls and -d give back the tree`, async () => {
      const bs = c.blockSize ?? 128 << 10;
      const src = scratch("tree");
      makeTree(src, bs, "a", c.many);
      const img = `${scratch("img")}.sqsh`;
      const opts: SquashfsWriteOptions = { compressor: c.compressor, level: c.level, blockSize: c.blockSize };
      const written = await writeSquashfs(directorySource(src), img, opts);

      const { lines, options } = superblockReport(img);
      expect(lines).toContain(`Compression ${c.compressor}`);
      expect(lines).toContain(`Block size ${bs}`);
      expect(lines).toContain(`Number of inodes ${written.inodes}`);
      expect(lines).toContain("Duplicates are removed");
      if (c.level !== undefined) expect(options.join("\n")).toMatch(new RegExp(`[Ll]evel.*${c.level}`));
      expect(readFileSync(img).length % 4096).toBe(0);

      const lls = unsquashfs("-lls", img).trimEnd().split("\n");
      const listed = lls.map((l) => /squashfs-root(.*?)(?: -> .*)?$/.exec(l)?.[1]);
      expect(new Set(listed)).toEqual(new Set(["", ...sourceFacts(src, {}).keys()]));
      expect(imageFacts(img)).toEqual(sourceFacts(src, {}));
      rmSync(src, { recursive: true, force: true });
    });
  }

  it("stores a duplicate once, zero blocks as sparse, small files in fragments", async () => {
    const src = scratch("tree");
    makeTree(src, 4096, "b");
    const img = `${scratch("img")}.sqsh`;
    await writeSquashfs(directorySource(src), img, { compressor: "gzip", blockSize: 4096 });
    const fs = await SquashFs.open(new BufferSource(img, readFileSync(img)));
    const disk = async (p: string) => {
      const d = (await fs.stat(p))?.disk;
      if (d?.type !== 2 && d?.type !== 9) throw new Error(`${p} is not a file inode`);
      return d;
    };
    const [a, b] = [await disk("/sizes/dup-a"), await disk("/sizes/dup-b")];
    expect(b.blocksStart).toBe(a.blocksStart);
    expect(b.blockSizes).toEqual(a.blockSizes);
    const zeros = await disk("/sizes/zeros");
    expect(zeros.blockSizes).toEqual([0, 0, 0, 0]);
    expect(zeros.type === 9 && zeros.sparse).toBe(4 * 4096);
    const sparse = await disk("/sizes/sparse");
    expect(sparse.blockSizes.slice(0, 2)).toEqual([0, 0]);
    expect((await disk("/sizes/f1")).fragment).not.toBe(0xffff_ffff);
    expect((await disk("/sizes/f4097")).fragment).toBe(0xffff_ffff); // no tail-end packing, as mksquashfs
    const hard = await disk("/links/hard1");
    expect(hard.type === 9 && hard.nlink).toBe(3);
  });
});

/** Entries with what a directory cannot carry without root or Node's help: devices, owners, xattrs. */
function memorySource(files: Map<string, Buffer>, entries: Entry[]) {
  return {
    name: "memory",
    entries: () => entries,
    open: (e: Entry) => [files.get(e.path) ?? Buffer.alloc(0)],
  };
}

const entry = (path: string, type: Entry["type"], more: Partial<Entry> = {}): Entry => ({
  path,
  type,
  mode: type === "dir" ? 0o755 : 0o644,
  uid: 1000,
  gid: 100,
  size: 0,
  mtime: 1_700_000_000,
  xattrs: new Map(),
  at: -1,
  ...more,
});

describe("SquashFS writer: devices, owners and xattrs from entries", () => {
  const selinux = Buffer.from("system_u:object_r:unlabeled_t:s0\0");
  const files = new Map([["/usr/lib/modules/x.ko", randomBytes(5000)]]);
  const entries = [
    entry("/dev", "dir", { xattrs: new Map([["security.selinux", selinux]]) }),
    entry("/dev/sda", "block", { rdev: { major: 8, minor: 0 } }),
    entry("/dev/wide", "char", { rdev: { major: 511, minor: 1_000_000 } }),
    entry("/run/sock", "socket"),
    entry("/usr/lib/modules/x.ko", "file", {
      size: 5000,
      uid: 0,
      gid: 0,
      xattrs: new Map([
        ["security.selinux", selinux],
        ["user.binary", Buffer.from([0, 1, 2, 255])],
        ["trusted.t", Buffer.from("v")],
      ]),
    }),
    entry("/usr/bin/tool", "symlink", {
      linkTarget: "../lib/modules/x.ko",
      xattrs: new Map([["trusted.a", Buffer.from("1")]]),
    }),
    entry("/usr/lib/modules/link.ko", "hardlink", { linkTarget: "/usr/lib/modules/x.ko" }),
  ];

  it("keeps device numbers, owners and every xattr namespace (unsquashfs -d as root, getfattr)", async () => {
    const img = `${scratch("img")}.sqsh`;
    await writeSquashfs(memorySource(files, entries), img, { compressor: "zstd" });
    const { entries: got } = expectedEntries(img);
    expect(got.get("/dev/sda")).toMatchObject({ type: "block", device: "8,0", uid: 1000, gid: 100 });
    expect(got.get("/dev/wide")).toMatchObject({ type: "char", device: "511,1000000" });
    expect(got.get("/run/sock")?.type).toBe("socket");
    expect(got.get("/run")).toMatchObject({ type: "dir", mode: 0o755, uid: 0, gid: 0, mtime: 0 }); // made implicitly
    const hex = (b: Buffer) => b.toString("hex");
    expect(got.get("/usr/lib/modules/x.ko")?.xattrs).toEqual({
      "security.selinux": hex(selinux),
      "trusted.t": hex(Buffer.from("v")),
      "user.binary": "000102ff",
    });
    expect(got.get("/usr/lib/modules/link.ko")).toMatchObject({ nlink: 2, sha256: sha256Of(files) });
    expect(got.get("/dev")?.xattrs).toEqual({ "security.selinux": hex(selinux) });
    expect(got.get("/usr/bin/tool")).toMatchObject({ target: "../lib/modules/x.ko", xattrs: { "trusted.a": "31" } });
  });

  it("all-root and one mtime override what entries say; SOURCE_DATE_EPOCH sets that mtime", async () => {
    const img = `${scratch("img")}.sqsh`;
    process.env.SOURCE_DATE_EPOCH = "1234567890";
    try {
      await writeSquashfs(memorySource(files, entries), img, { compressor: "xz", allRoot: true });
    } finally {
      delete process.env.SOURCE_DATE_EPOCH;
    }
    const { entries: got } = expectedEntries(img);
    expect(new Set([...got.values()].map((f) => `${f.uid}/${f.gid}/${f.mtime}`))).toEqual(new Set(["0/0/1234567890"]));
    expect(superblockReport(img).lines.join("\n")).toMatch(/Creation or last append time .*2009/);
  });
});

function sha256Of(files: Map<string, Buffer>): string {
  return createHash("sha256")
    .update(files.get("/usr/lib/modules/x.ko") as Buffer)
    .digest("hex");
}

describe("SquashFS writer: directory index", () => {
  it("indexes a listing that spans metadata blocks; every name is found through it and unsquashfs lists them all", async () => {
    // 2000 names of 120 bytes: a listing of some 250 KiB, over 30 metadata blocks.
    const names = Array.from({ length: 2000 }, (_, i) => `${String(i).padStart(5, "0")}-${"x".repeat(114)}`);
    const entries = [entry("/big", "dir"), ...names.map((n) => entry(`/big/${n}`, "file"))];
    const img = `${scratch("img")}.sqsh`;
    await writeSquashfs(memorySource(new Map(), entries), img, { compressor: "gzip" });
    const fs = await SquashFs.open(new BufferSource(img, readFileSync(img)));
    const dir = (await fs.stat("/big"))?.disk;
    expect(dir?.type).toBe(8);
    const index = dir?.type === 8 ? dir.index : [];
    expect(index.length).toBeGreaterThan(25);
    // Each entry names the first name of the run it points at, in name order.
    const named = index.map((i) => Buffer.from(i.name).toString());
    expect(named).toEqual([...named].sort());
    for (const n of [names[0], names[999], names[1999], ...named] as string[]) {
      expect((await fs.stat(`/big/${n}`))?.type, n).toBe("file");
    }
    expect(await fs.stat("/big/00000-y")).toBeUndefined();
    const listed = unsquashfs("-lls", img).trimEnd().split("\n");
    expect(listed.length).toBe(2 + names.length);
  });
});

describe("SquashFS writer: determinism and the kernel's layout rules", () => {
  it("the same tree made twice, in another order at other times, gives the same bytes", async () => {
    const [a, b] = [scratch("a"), scratch("b")];
    makeTree(a, 4096, "same");
    makeTree(b, 4096, "same");
    utimesSync(join(b, "sizes", "f1"), 1, 1);
    const opts = { compressor: "zstd", blockSize: 4096, allRoot: true, mtime: 1_600_000_000 } as const;
    const [ia, ib] = [`${scratch("img")}.sqsh`, `${scratch("img")}.sqsh`];
    await writeSquashfs(directorySource(a), ia, opts);
    await writeSquashfs(directorySource(b), ib, opts);
    expect(sha(ia)).toBe(sha(ib));
  });

  it("compressing on one thread or several gives the same bytes", async () => {
    const src = scratch("tree");
    makeTree(src, 4096, "threads");
    const [one, three] = [`${scratch("img")}.sqsh`, `${scratch("img")}.sqsh`];
    await writeSquashfs(directorySource(src), one, { compressor: "zstd", blockSize: 4096, threads: 1 });
    await writeSquashfs(directorySource(src), three, { compressor: "zstd", blockSize: 4096, threads: 3 });
    expect(sha(one)).toBe(sha(three));
  });

  it("lays tables out in mksquashfs's order with the bounds squashfs_fill_super checks", async () => {
    const src = scratch("tree");
    makeTree(src, 4096, "c");
    const img = `${scratch("img")}.sqsh`;
    const w = await writeSquashfs(directorySource(src), img, { compressor: "gzip", blockSize: 4096 });
    const b = readFileSync(img);
    const u64 = (o: number) => Number(b.readBigUInt64LE(o));
    const [idStart, inodeStart, dirStart, fragStart, exportStart] = [0x30, 0x40, 0x48, 0x50, 0x58].map(u64);
    expect(u64(0x38)).toBe(Number(0xffff_ffff_ffff_ffffn)); // no xattrs: table absent
    expect(u64(0x28)).toBe(w.bytesUsed);
    expect(inodeStart).toBeLessThan(dirStart as number);
    const fragIndex0 = u64(fragStart as number);
    expect(dirStart).toBeLessThan(fragIndex0);
    // Each index array ends before the next table's first block: fragment < export < id, and id ends the image.
    expect((fragStart as number) + 8 * Math.ceil((w.fragments * 16) / 8192)).toBeLessThanOrEqual(
      u64(exportStart as number),
    );
    const ids = b.readUInt16LE(0x1a);
    expect((exportStart as number) + 8 * Math.ceil((w.inodes * 8) / 8192)).toBeLessThanOrEqual(u64(idStart as number));
    expect((idStart as number) + 8 * Math.ceil((ids * 4) / 8192)).toBe(w.bytesUsed);
    expect(b.readUInt32LE(0x20) % 0x10000).toBeLessThan(8192); // root inode offset
  });
});

describe("SquashFS writer: bad input leaves nothing behind", () => {
  const bad: [string, Entry[], RegExp][] = [
    ["a path given twice", [entry("/a", "dir"), entry("/a", "dir")], /\/a: given twice/],
    ["a dot-dot path", [entry("/a/../b", "dir")], /not a clean absolute path/],
    ["a name over 256 bytes", [entry(`/${"x".repeat(257)}`, "dir")], /longer than 256 bytes/],
    [
      "an entry below a file",
      [entry("/f", "file"), entry("/f/g", "file")],
      /\/f\/g: a parent \(f\) is not a directory/,
    ],
    [
      "a hard link to a directory",
      [entry("/d", "dir"), entry("/h", "hardlink", { linkTarget: "/d" })],
      /hard link to \/d/,
    ],
    [
      "an unknown xattr namespace",
      [entry("/f", "file", { xattrs: new Map([["system.x", Buffer.from("1")]]) })],
      /system\.x/,
    ],
    ["a file shorter than stated", [entry("/f", "file", { size: 10 })], /0 bytes, not the 10 stated/],
    ["a uid past 32 bits", [entry("/f", "file", { uid: 2 ** 32 })], /uid 4294967296/],
  ];
  for (const [what, entries, message] of bad) {
    it(`refuses ${what}`, async () => {
      const dir = scratch("out");
      mkdirSync(dir);
      const err = await writeSquashfs(memorySource(new Map(), entries), join(dir, "x.sqsh"), {
        compressor: "gzip",
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WriteInputError);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).toMatch(/^memory: /);
      expect(readdirSync(dir)).toEqual([]);
    });
  }

  it("refuses a block size that is not a power of two from 4 KiB to 1 MiB", async () => {
    const dir = scratch("out");
    mkdirSync(dir);
    for (const blockSize of [1000, 2048, 2 << 20]) {
      await expect(
        writeSquashfs(memorySource(new Map(), []), join(dir, "x"), { compressor: "gzip", blockSize }),
      ).rejects.toThrow(/block size must be a power of two/);
    }
    expect(existsSync(join(dir, "x"))).toBe(false);
  });
});
