import { execSync } from "node:child_process";
import { describe, expect, it, vi } from "vitest";
import { decompressBlock, decompressBuffer } from "../../../src/formats/compress/decompress.js";
import { loadNativeZstd, zstdBackend } from "../../../src/formats/compress/zstd.js";

// A machine where the native binding failed to build: importing it throws, as a missing .node file does.
vi.mock("zstd-napi/binding.js", () => {
  throw new Error("Cannot find module 'zstd-napi/build/Release/binding.node'");
});

describe("zstd without the native binding", () => {
  it("falls back to fzstd for streams and blocks", async () => {
    expect(await loadNativeZstd()).toBeUndefined();
    expect(await zstdBackend()).toBe("fzstd");
    const text = "layers:\n  - image: 000.nvidia.sqsh\n".repeat(5000);
    const frames = Buffer.concat([
      execSync("zstd -q -19 -c", { input: text }),
      execSync("zstd -q --no-check -c", { input: text }),
    ]);
    const out = await decompressBuffer("zstd", frames, { name: "two.zst" });
    expect(Buffer.from(out).toString()).toBe(text + text);
    const one = execSync("zstd -q -c", { input: text });
    expect(Buffer.from(decompressBlock("zstd", one, text.length, "block")).toString()).toBe(text);
    // Told the size of its input, zstd writes it in the header, and the block is refused before decoding;
    // without it the bound is kept while fzstd decodes (its first block is 128 KiB).
    const sized = execSync(`zstd -q --stream-size=${text.length} -c`, { input: text });
    expect(() => decompressBlock("zstd", sized, 1000, "block")).toThrow(
      expect.objectContaining({ name: "LimitError", limit: 1000, requested: text.length }),
    );
    expect(() => decompressBlock("zstd", one, 1000, "block")).toThrow(
      expect.objectContaining({ name: "LimitError", limit: 1000, requested: 128 << 10 }),
    );
  });
});
