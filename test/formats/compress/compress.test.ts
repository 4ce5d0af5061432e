import { execFileSync, execSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FormatError, LimitError } from "../../../src/errors.js";
import {
  type Compression,
  decompressBlock,
  decompressBuffer,
  decompressStream,
  lz4Backend,
  sniff,
  zstdBackend,
} from "../../../src/formats/compress/index.js";

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

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "compress-"));
  // Half text, half random: compressible and not.
  const text = Buffer.from("options nvidia NVreg_RegistryDwords=ForceP2P=17\n".repeat(40000));
  original = Buffer.concat([text, randomBytes(1 << 20)]);
  writeFileSync(join(work, "data"), original);
  writeFileSync(join(work, "part1"), original.subarray(0, 1000000));
  writeFileSync(join(work, "part2"), original.subarray(1000000));
  for (const [, cmd] of CASES) execSync(cmd, { cwd: work });
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

  it.each(["data.lz4", "data.legacy.lz4"])("%s with both decoders: lz4-napi and lz4js", async (name) => {
    expect(lz4Backend()).toBe("native");
    const bytes = file(name);
    const kind = sniff(bytes) as Compression;
    for (const lz4 of ["native", "lz4js"] as const) {
      expect(sha(await decode(kind, bytes, { name, lz4 }))).toBe(sha(original));
      const cut = bytes.subarray(0, bytes.length - 1000);
      await expect(decode(kind, cut, { name, lz4 })).rejects.toThrow(FormatError);
      await expect(decode(kind, bytes, { name, lz4, maxOutput: 1 << 20 })).rejects.toThrow(LimitError);
    }
  });

  it("refuses output beyond maxOutput (a decompression bomb)", async () => {
    const bomb = execSync("head -c 200000000 /dev/zero | zstd -q -19 -c");
    await expect(decode("zstd", bomb, { name: "bomb.zst", maxOutput: 10 << 20 })).rejects.toThrow(LimitError);
  });

  it.each(["data.gz", "data.zst", "data.xz"])("a truncated %s is a FormatError naming the file", async (name) => {
    const bytes = file(name);
    const kind = sniff(bytes) as Compression;
    const cut = bytes.subarray(0, bytes.length >> 1);
    await expect(decode(kind, cut, { name })).rejects.toThrow(FormatError);
    await expect(decode(kind, cut, { name })).rejects.toThrow(name);
  });

  it("names an unsupported compressor", async () => {
    const bz = execSync("bzip2 -c", { input: "x" });
    expect(sniff(bz)).toBe("bzip2");
    await expect(decompressBuffer("bzip2", bz, { name: "x.bz2" })).rejects.toThrow(/unsupported compression bzip2/);
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
      expect(() => decompressBlock(kind, bytes, 1000, "block")).toThrow(/block/);
    }
  });
});
