import { execFileSync, execSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decompressBlock, decompressBuffer, decompressStream } from "../../../src/formats/compress/decompress.js";
import { lz4Backend } from "../../../src/formats/compress/lz4.js";
import { type Compression, sniff } from "../../../src/formats/compress/magic.js";
import { zstdBackend } from "../../../src/formats/compress/zstd.js";
import { FormatError, LimitError } from "../../../src/io/errors.js";

let work: string;
let original: Buffer;
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const file = (name: string) => readFileSync(join(work, name));

// Compressed by the real command-line tools; each decodes to `original` (the last two to /bin/bash).
const CASES: [string, string, Compression][] = [
  ["data.gz", "gzip -9 -c data > data.gz", "gzip"],
  ["data.2.gz", "gzip -c part1 > data.2.gz && gzip -c part2 >> data.2.gz", "gzip"],
  ["data.zst", "zstd -q -19 -c data > data.zst", "zstd"],
  ["data.2.zst", "zstd -q -c part1 > data.2.zst && zstd -q --long=27 -c part2 >> data.2.zst", "zstd"],
  ["data.xz", "xz -c data > data.xz", "xz"],
  ["data.crc32.xz", "xz -C crc32 -0 -e -c data > data.crc32.xz", "xz"],
  ["data.lz4", "lz4 -q -c data > data.lz4", "lz4-frame"],
  ["data.legacy.lz4", "lz4 -q -l -c data > data.legacy.lz4", "lz4-legacy"],
];

// lz4 frames with the options the CLI offers: linked 64 KiB blocks, block checksums, the content size, no
// content checksum, several frames.
const LZ4_FRAMES: [string, string][] = [
  ["data.linked.lz4", "lz4 -q -BD -B4 -c data > data.linked.lz4"],
  ["data.blocksum.lz4", "lz4 -q -BX -c data > data.blocksum.lz4"],
  ["data.size.lz4", "lz4 -q --content-size data data.size.lz4"],
  ["data.nocrc.lz4", "lz4 -q --no-frame-crc -c data > data.nocrc.lz4"],
  ["data.2.lz4", "lz4 -q -c part1 > data.2.lz4 && lz4 -q -BD -c part2 >> data.2.lz4"],
];

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "compress-"));
  // Half text, half random: compressible and not.
  const text = Buffer.from("options nvidia NVreg_RegistryDwords=ForceP2P=17\n".repeat(40000));
  original = Buffer.concat([text, randomBytes(1 << 20)]);
  writeFileSync(join(work, "data"), original);
  writeFileSync(join(work, "part1"), original.subarray(0, 1000000));
  writeFileSync(join(work, "part2"), original.subarray(1000000));
  for (const [, cmd] of [...CASES, ...LZ4_FRAMES]) execSync(cmd, { cwd: work });
  copyFileSync("/bin/bash", join(work, "bash"));
  execSync("xz --x86 --lzma2 -c bash > bash.bcj.xz && zstd -q -c bash > bash.zst", { cwd: work });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function decode(kind: Compression, bytes: Uint8Array, opts: Parameters<typeof decompressStream>[2]) {
  const chunks: Uint8Array[] = [];
  // Feed it in small pieces, as a file or network stream would.
  const pieces = (function* () {
    for (let i = 0; i < bytes.length; i += 65536) yield bytes.subarray(i, i + 65536);
  })();
  for await (const c of decompressStream(kind, pieces, opts)) chunks.push(c);
  return Buffer.concat(chunks);
}

describe("decompressStream on the real tools' output", () => {
  it.each(CASES)("%s", async (name, _cmd, kind) => {
    const bytes = file(name);
    expect(sniff(bytes)).toBe(kind);
    expect(sha(await decode(kind, bytes, { name }))).toBe(sha(original));
  });

  it("xz with the x86 BCJ filter, as kernel payloads use it", async () => {
    expect(sha(await decode("xz", file("bash.bcj.xz"), { name: "bash.bcj.xz" }))).toBe(sha(file("bash")));
  });

  it("zstd with both decoders: the native binding and the pure-JavaScript fallback", async () => {
    expect(await zstdBackend()).toBe("native");
    for (const zstd of ["native", "fzstd"] as const) {
      expect(sha(await decode("zstd", file("data.2.zst"), { name: "x", zstd }))).toBe(sha(original));
    }
  });

  it.each(["data.lz4", "data.legacy.lz4", ...LZ4_FRAMES.map(([n]) => n)])(
    "%s with both decoders: lz4-napi and ours in JavaScript",
    async (name) => {
      expect(lz4Backend()).toBe("native");
      const bytes = file(name);
      const kind = sniff(bytes) as Compression;
      for (const lz4 of ["native", "js"] as const) {
        expect(sha(await decode(kind, bytes, { name, lz4 }))).toBe(sha(original));
        await expect(decode(kind, bytes, { name, lz4, maxOutput: 1 << 20 })).rejects.toThrow(LimitError);
      }
    },
  );

  it("refuses output beyond maxOutput (a decompression bomb)", async () => {
    const bomb = execSync("head -c 200000000 /dev/zero | zstd -q -19 -c");
    await expect(decode("zstd", bomb, { name: "bomb.zst", maxOutput: 10 << 20 })).rejects.toMatchObject({
      name: "LimitError",
      file: "bomb.zst",
      limit: 10 << 20,
    });
  });

  it("names an unsupported compressor", async () => {
    const bz = execSync("bzip2 -c", { input: "x" });
    expect(sniff(bz)).toBe("bzip2");
    await expect(decompressBuffer("bzip2", bz, { name: "x.bz2" })).rejects.toThrow(/unsupported compression bzip2/);
  });
});

/** The error a decode ends with. */
async function failure(kind: Compression, bytes: Uint8Array, opts: Parameters<typeof decompressStream>[2]) {
  const err = await decode(kind, bytes, opts).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FormatError);
  return err as FormatError;
}

const u32 = (b: Uint8Array, at: number) => Buffer.from(b).readUInt32LE(at);
const hex32 = (v: number) => v.toString(16).padStart(8, "0");
/** A copy with the byte at `at` inverted. */
const flip = (b: Buffer, at: number) => {
  const c = Buffer.from(b);
  c.writeUInt8(c.readUInt8(at) ^ 0xff, at);
  return c;
};

describe("corrupt input: a FormatError at the offset of the fault", () => {
  it.each(["data.gz", "data.xz"])("a truncated %s: where the input ends", async (name) => {
    const bytes = file(name);
    const cut = bytes.subarray(0, bytes.length >> 1);
    const kind = sniff(bytes) as Compression;
    expect(await failure(kind, cut, { name })).toMatchObject({
      file: name,
      offset: cut.length,
      structure: `${kind === "gzip" ? "gzip" : "xz"} stream`,
      expected: "the rest of the stream",
      found: `end of input at ${cut.length}`,
    });
  });

  it.each(["native", "fzstd"] as const)("a truncated zstd stream (%s): the block it ends in", async (zstd) => {
    const cut = file("data.zst").subarray(0, file("data.zst").length >> 1);
    const err = await failure("zstd", cut, { name: "data.zst", zstd });
    expect(err).toMatchObject({ file: "data.zst", structure: "zstd block", found: `end of input at ${cut.length}` });
    // A block is at most 128 KiB and a 3-byte header; the one cut short starts before the end and needs more.
    expect(err.offset).toBeLessThan(cut.length);
    expect(err.offset + Number.parseInt(err.expected, 10)).toBeGreaterThan(cut.length);
    expect(err.offset + (128 << 10) + 3).toBeGreaterThanOrEqual(cut.length);
  });

  it.each(["native", "js"] as const)("a truncated lz4 stream (%s): the block it ends in", async (lz4) => {
    // The 3 MiB of data fit one block: after the frame's 7-byte descriptor, after the legacy format's magic.
    for (const [name, at] of [
      ["data.lz4", 7],
      ["data.legacy.lz4", 4],
    ] as const) {
      const bytes = file(name);
      const cut = bytes.subarray(0, bytes.length >> 1);
      expect(await failure(sniff(bytes) as Compression, cut, { name, lz4 })).toMatchObject({
        offset: at,
        expected: `${4 + (u32(bytes, at) & 0x7fffffff)} bytes`,
        found: `end of input at ${cut.length}`,
      });
    }
  });

  it("zstd: a wrong frame checksum at the checksum, data after the frame where it starts", async () => {
    const bytes = flip(file("data.zst"), file("data.zst").length - 1);
    expect(await failure("zstd", bytes, { name: "data.zst", zstd: "native" })).toMatchObject({
      offset: bytes.length - 4,
      structure: "zstd frame checksum",
    });
    const junk = Buffer.concat([file("data.zst"), Buffer.from("junk")]);
    for (const zstd of ["native", "fzstd"] as const) {
      expect(await failure("zstd", junk, { name: "data.zst", zstd })).toMatchObject({
        offset: file("data.zst").length,
        structure: "zstd frame",
        found: "6a 75 6e 6b",
      });
    }
  });

  it.each(["native", "js"] as const)("lz4 (%s): a wrong content or block checksum where it is", async (lz4) => {
    const content = flip(file("data.lz4"), file("data.lz4").length - 1);
    expect(await failure("lz4-frame", content, { name: "data.lz4", lz4 })).toMatchObject({
      offset: content.length - 4,
      structure: "lz4 content checksum",
      expected: hex32(u32(file("data.lz4"), content.length - 4)),
      found: hex32(u32(content, content.length - 4)),
    });
    // One block after the descriptor; its checksum follows its data.
    const block = flip(file("data.blocksum.lz4"), 1000);
    const sumAt = 7 + 4 + (u32(block, 7) & 0x7fffffff);
    expect(await failure("lz4-frame", block, { name: "data.blocksum.lz4", lz4 })).toMatchObject({
      offset: sumAt,
      structure: "lz4 block checksum",
      found: hex32(u32(block, sumAt)),
    });
  });

  it("lz4 (js): a match reaching before the start of the data is an error at its place, not zeros", async () => {
    // The legacy stream's first block starts after the magic and its size; its first sequence is literals,
    // then the match offset this test points far back.
    const bytes = Buffer.from(file("data.legacy.lz4"));
    const block = 8;
    const token = bytes[block] as number;
    let at = block + 1;
    let literals = token >> 4;
    if (literals === 15) for (let b = 255; b === 255; literals += b) b = bytes[at++] as number;
    at += literals;
    expect(bytes.readUInt16LE(at)).toBeLessThanOrEqual(literals);
    bytes.writeUInt16LE(literals + 1, at);
    for (const lz4 of ["native", "js"] as const) {
      expect(await failure("lz4-legacy", bytes, { name: "bad.lz4", lz4 })).toMatchObject({
        offset: 4,
        structure: "lz4 legacy block",
      });
    }
    expect((await failure("lz4-legacy", bytes, { name: "bad.lz4", lz4: "js" })).found).toBe(
      `match offset ${literals + 1} before the start of the data, at byte ${at - block} of the block`,
    );
  });

  it("gzip: a wrong CRC found in the last step zlib took, which the message bounds", async () => {
    const bytes = flip(file("data.gz"), file("data.gz").length - 6);
    const err = await failure("gzip", bytes, { name: "data.gz" });
    expect(err.structure).toBe("gzip stream");
    expect(err.offset).toBeLessThanOrEqual(bytes.length - 8);
    expect(err.found).toBe(`incorrect data check within offsets ${err.offset}..${bytes.length}`);
  });

  it.each(["native", "fzstd"] as const)("zstd (%s): a window over 128 MiB is refused before decoding", async (zstd) => {
    // From a pipe zstd cannot shrink the window to the input: it writes the 256 MiB asked for.
    execSync("cat data | zstd -q --long=28 -c > data.long.zst", { cwd: work });
    const info = execSync("zstd -lv data.long.zst", { cwd: work, encoding: "utf8" });
    expect(info).toMatch(/Window Size: 256 MiB \(268435456 B\)/);
    const long = file("data.long.zst");
    await expect(decode("zstd", long, { name: "long.zst", zstd })).rejects.toMatchObject({
      name: "LimitError",
      offset: 0,
      what: "zstd window",
      limit: 1 << 27,
      requested: 268435456,
    });
  });
});

describe("decompressBlock", () => {
  it("decodes zstd, xz and zlib blocks within their size bound", () => {
    const zlib = execFileSync(
      "python3",
      ["-c", "import zlib,sys; sys.stdout.buffer.write(zlib.compress(open('data','rb').read()))"],
      { cwd: work, maxBuffer: 64 << 20 },
    );
    for (const [kind, bytes] of [
      ["zstd", file("data.zst")],
      ["xz", file("data.xz")],
      ["gzip", zlib],
    ] as const) {
      expect(sha(decompressBlock(kind, bytes, original.length, "block"))).toBe(sha(original));
      expect(() => decompressBlock(kind, bytes, 1000, "block")).toThrow(LimitError);
    }
    // zstd states the content size, so the block is refused before any of it is decoded.
    expect(() => decompressBlock("zstd", file("data.zst"), 1000, "block")).toThrow(
      expect.objectContaining({ what: "zstd block", limit: 1000, requested: original.length }),
    );
  });
});
