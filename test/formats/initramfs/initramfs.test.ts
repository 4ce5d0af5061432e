import { execFileSync, execSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listInitramfs, readInitramfs, type Segment, splitInitramfs } from "../../../src/formats/initramfs/reader.js";
import { BufferSource, FileSource } from "../../../src/io/source.js";
import { gnuListing, ourListing } from "../cpio/listing.js";

const dir = join(import.meta.dirname, "../../fixtures/out/initramfs");
const installer = join(import.meta.dirname, "../../fixtures/out/installer/clean/installer.tar");

/** make-initramfs.sh's record: offset, length and compression of each segment as appended. */
function expected(name: string) {
  return readFileSync(join(dir, `${name}.expected`), "utf8")
    .trim()
    .split("\n")
    .map((l) => {
      const [offset, length, compression] = l.split(" ");
      return { offset: Number(offset), length: Number(length), compression };
    });
}

/** The numbers make-initramfs.sh wrote to OUT/<name>.at. */
const at = (name: string): number[] =>
  readFileSync(join(dir, `${name}.at`), "utf8")
    .trim()
    .split(" ")
    .map(Number);

const load = (name: string) => new BufferSource(`${name}.img`, readFileSync(join(dir, `${name}.img`)));

const DECOMPRESS: Record<string, string> = {
  none: "cat",
  zstd: "zstd -q -dc",
  xz: "xz -dc",
  gzip: "gzip -dc",
  "lz4-legacy": "lz4 -q -dc",
};

/** One segment's bytes run through the real decompressor and `cpio`: `cpio -itv`, or one entry's sha256. */
function cli(img: string, seg: Segment, cpio: string): string {
  return execSync(
    `head -c ${seg.offset + seg.length} '${img}' | tail -c ${seg.length} | ${DECOMPRESS[seg.compression]} | cpio --quiet ${cpio}`,
    { encoding: "utf8", maxBuffer: 256 << 20, shell: "/bin/bash" },
  );
}

async function bodies(img: string) {
  const out = new Map<string, string>();
  const src = await FileSource.open(img);
  try {
    for await (const { segment, entry } of readInitramfs(src)) {
      if (!entry.name.endsWith(".sqsh") && entry.name !== "extensions.yaml") continue;
      const h = createHash("sha256");
      for await (const part of entry.body()) h.update(part);
      out.set(`${segment.index}:${entry.name}`, h.digest("hex"));
    }
  } finally {
    await src.close();
  }
  return out;
}

/** Reads every entry's body, as a consumer of readInitramfs does. */
async function readAll(src: BufferSource) {
  for await (const { entry } of readInitramfs(src)) for await (const _ of entry.body()) void _;
}

describe("listInitramfs on images assembled like Talos' imager", () => {
  it.each([
    "talos",
    "zstd-ext",
    "gzip",
    "lz4",
    "padded",
    "xz-padding",
    "lz4-chunks",
    "lz4-halves",
    "lz4-then-xz",
    "raw-after",
  ])("%s: segments as the tools made them, entries as `cpio -itv` lists them", async (name) => {
    const src = await FileSource.open(join(dir, `${name}.img`));
    const ours = await listInitramfs(src);
    const bytes = readFileSync(join(dir, `${name}.img`));
    await src.close();
    const want = expected(name);
    expect(ours.map((s) => [s.offset, s.compression])).toEqual(want.map((w) => [w.offset, w.compression]));
    ours.forEach((s, i) => {
      const w = want[i] as (typeof want)[number];
      expect(ourListing(s.entries)).toEqual(gnuListing(readFileSync(join(dir, `${name}.${i}.list`), "utf8")));
      if (s.compression !== "none") expect(s.length).toBe(w.length);
      else {
        // A raw archive ends at its trailer; GNU cpio's padding to 512 bytes is NULs the kernel skips.
        expect(s.length).toBeLessThanOrEqual(w.length);
        expect(bytes.subarray(s.offset + s.length, w.offset + w.length).every((b) => b === 0)).toBe(true);
      }
    });
  });

  it("lz4-chunks holds more than one lz4 legacy chunk", () => {
    const bytes = readFileSync(join(dir, "lz4-chunks.img"));
    // Magic, then the first chunk's u32 size and its bytes.
    expect(8 + bytes.readUInt32LE(4)).toBeLessThan(bytes.length);
  });

  it("streams entry bodies out of compressed segments, equal to what cpio extracts", async () => {
    const img = join(dir, "talos.img");
    const segs = await listInitramfs(new BufferSource("talos.img", readFileSync(img)));
    const ours = await bodies(img);
    expect([...ours.keys()]).toEqual(["1:rootfs.sqsh", "2:000.nvidia.sqsh", "2:extensions.yaml"]);
    for (const [key, sha] of ours) {
      const [index, name] = key.split(":") as [string, string];
      const seg = segs[Number(index)] as Segment;
      const theirs = createHash("sha256")
        .update(
          execSync(
            `head -c ${seg.offset + seg.length} '${img}' | tail -c ${seg.length} | ${DECOMPRESS[seg.compression]} | cpio --quiet -i --to-stdout '${name}'`,
            { maxBuffer: 256 << 20, shell: "/bin/bash" },
          ),
        )
        .digest("hex");
      expect([key, sha]).toEqual([key, theirs]);
    }
  });

  it("garbage after the last member is the kernel's 'invalid magic' with its offset", async () => {
    const size = readFileSync(join(dir, "talos.img")).length;
    await expect(listInitramfs(load("garbage"))).rejects.toThrow(
      `garbage.img: offset ${size} (initramfs member): expected a cpio archive at a 4-byte-aligned offset or compressed data, found invalid magic at start of compressed archive`,
    );
  });

  it("garbage between members is refused at its offset", async () => {
    await expect(listInitramfs(load("garbage-mid"))).rejects.toThrow(
      `garbage-mid.img: offset ${at("garbage-mid")[0]} (initramfs member): expected a cpio archive at a 4-byte-aligned offset or compressed data, found invalid magic`,
    );
  });

  it("a member cut short fails at the LZMA2 chunk xz lists, with its length", async () => {
    const [chunk, length] = at("truncated");
    const src = load("truncated");
    await expect(listInitramfs(src)).rejects.toThrow(
      `truncated.img: offset ${chunk} (LZMA2 chunk): expected ${length} bytes, found end of input at ${src.size}`,
    );
  });
});

describe("the kernel's rules at the edges of a segment", () => {
  it("a cpio split over two zstd frames is two calls of unzstd, the first ending inside an entry", async () => {
    const [first, second, cut] = at("halves-zstd") as [number, number, number];
    const src = load("halves-zstd");
    expect((await splitInitramfs(src)).map((s) => [s.offset, s.length, s.compression])).toEqual([
      [0, first, "zstd"],
      [first, second, "zstd"],
    ]);
    // zstd and cpio read the frames as one stream; the kernel does not.
    expect(
      execSync(`zstd -q -dc '${join(dir, "halves-zstd.img")}' | cpio --quiet -it`, { encoding: "utf8" }).split("\n"),
    ).toEqual(["init", "rootfs.sqsh", ""]);
    const message = `halves-zstd.img: offset ${first} (initramfs segment 0 (zstd)): expected whole cpio archives in the data of one compressed member, found data of rootfs.sqsh cut short at offset ${cut} of the data`;
    await expect(listInitramfs(src)).rejects.toThrow(message);
    await expect(readAll(src)).rejects.toThrow(message);
  });

  it("lz4 legacy data straight before an xz stream: unlz4 takes the xz magic for a chunk size", async () => {
    const [offset] = at("lz4-xz") as [number];
    const src = load("lz4-xz");
    // The xz magic's first four bytes, little-endian.
    const chunk = Buffer.from(await src.read(offset, 4, "test")).readUInt32LE(0);
    await expect(splitInitramfs(src)).rejects.toThrow(
      `lz4-xz.img: offset ${offset} (lz4 legacy chunk): expected ${4 + chunk} bytes, found end of input at ${src.size}`,
    );
  });

  it("after compressed data, a cpio off 4-byte alignment is not a cpio: invalid magic", async () => {
    const [offset] = at("unaligned") as [number];
    const src = load("unaligned");
    expect([offset % 4, Buffer.from(await src.read(offset, 6, "test")).toString("latin1")]).toEqual([2, "070701"]);
    await expect(splitInitramfs(src)).rejects.toThrow(
      `unaligned.img: offset ${offset} (initramfs member): expected a cpio archive at a 4-byte-aligned offset or compressed data, found invalid magic at start of compressed archive`,
    );
  });

  it("after a raw cpio, NULs that stop off alignment are broken padding", async () => {
    await expect(splitInitramfs(load("broken-padding"))).rejects.toThrow(
      `broken-padding.img: offset ${at("broken-padding")[0]} (padding after a cpio archive): expected NULs up to a 4-byte-aligned offset, found broken padding`,
    );
  });

  it("inside compressed data, junk after a cpio archive, or NULs that stop off alignment", async () => {
    await expect(listInitramfs(load("junk-within"))).rejects.toThrow(
      `junk-within.img!segment 0: offset ${at("junk-within")[0]} (data after a cpio archive): expected NUL padding or another cpio archive, found junk within compressed archive`,
    );
    await expect(listInitramfs(load("padding-within"))).rejects.toThrow(
      `padding-within.img!segment 0: offset ${at("padding-within")[0]} (padding after a cpio archive): expected NULs up to a 4-byte-aligned offset, found broken padding`,
    );
  });
});

describe("the installer's initramfs.xz", () => {
  let work: string;
  let img: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "initramfs-"));
    img = join(work, "initramfs.xz");
    const manifest = JSON.parse(execFileSync("tar", ["-xOf", installer, "manifest.json"], { encoding: "utf8" }));
    const layer = execFileSync("tar", ["-xOf", installer, manifest[0].Layers[0]], { maxBuffer: 1 << 30 });
    writeFileSync(
      img,
      execFileSync("tar", ["-xOf", "-", "usr/install/amd64/initramfs.xz"], { input: layer, maxBuffer: 1 << 30 }),
    );
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("splits into segments that the real decompressors and cpio read exactly, NULs between them", async () => {
    const bytes = readFileSync(img);
    const segs = await listInitramfs(new BufferSource("initramfs.xz", bytes));
    expect(segs.length).toBeGreaterThan(1);
    let end = 0;
    for (const seg of segs) {
      expect(bytes.subarray(end, seg.offset).every((b) => b === 0)).toBe(true);
      // The CLI fails on a slice cut short or carrying another member's bytes.
      expect(ourListing(seg.entries)).toEqual(gnuListing(cli(img, seg, "-itv --numeric-uid-gid")));
      end = seg.offset + seg.length;
    }
    expect(bytes.subarray(end).every((b) => b === 0)).toBe(true);
  });

  it("reads every .sqsh body as cpio extracts it", async () => {
    const segs = await listInitramfs(new BufferSource("initramfs.xz", readFileSync(img)));
    const ours = await bodies(img);
    expect([...ours.keys()].some((k) => k.endsWith("rootfs.sqsh"))).toBe(true);
    for (const [key, sha] of ours) {
      const [index, name] = key.split(":") as [string, string];
      const seg = segs[Number(index)] as Segment;
      const theirs = execSync(
        `head -c ${seg.offset + seg.length} '${img}' | tail -c ${seg.length} | ${DECOMPRESS[seg.compression]} | cpio --quiet -i --to-stdout '${name}' | sha256sum`,
        { encoding: "utf8", maxBuffer: 1 << 20, shell: "/bin/bash" },
      );
      expect([key, sha]).toEqual([key, theirs.split(" ")[0]]);
    }
  });
});
