import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { readLdCache } from "../../../src/formats/ldcache/read.js";
import { BufferSource, FileSource } from "../../../src/io/source.js";
import { run } from "../elf/tools.js";
import { ldconfigListing } from "./listing.js";

const dir = resolve("test/fixtures/out/ldcache");

async function read(path: string) {
  const src = await FileSource.open(path);
  try {
    return await readLdCache(src);
  } finally {
    await src.close();
  }
}

describe("readLdCache against ldconfig -p", () => {
  for (const [file, format] of [
    ["new.cache", "new"],
    ["old.cache", "old"],
    ["compat.cache", "compat"],
    ["host.cache", undefined],
  ] as const) {
    it(`lists ${file} exactly as ldconfig -p -C does, order included`, async () => {
      const path = `${dir}/${file}`;
      const cache = await read(path);
      if (format !== undefined) expect(cache.format).toBe(format);
      expect(cache.entries.length).toBeGreaterThan(10);
      expect(ldconfigListing(cache, path)).toBe(run("ldconfig", ["-p", "-C", path]));
    });
  }

  it("decodes flags, hwcaps names and ISA levels of the new format", async () => {
    const cache = await read(`${dir}/new.cache`);
    const hw = cache.entries.filter((e) => e.hwcapsName !== undefined);
    expect(new Set(hw.map((e) => e.hwcapsName))).toEqual(new Set(["x86-64-v2", "x86-64-v3"]));
    // libisa in glibc-hwcaps/x86-64-v2 was linked with -z x86-64-v2; ldconfig records level 1 in its hwcap.
    expect(hw.find((e) => e.soname === "libisa.so.1")?.isaLevel).toBe(1);
    expect(cache.entries.find((e) => e.soname === "libtinyx32.so.1")?.flags).toBe(0x0803);
    expect(cache.entries.find((e) => e.soname === "libtiny32.so.1")?.flags).toBe(0x0001);
    expect(cache.generator).toMatch(/^ldconfig .* release version 2\.36$/);
  });

  it("reads a big-endian cache by its endianness flag", async () => {
    // Byte-swap every integer of the real new-format cache and mark it big-endian.
    const bytes = new Uint8Array(readFileSync(`${dir}/new.cache`));
    const v = new DataView(bytes.buffer);
    const swap32 = (at: number) => v.setUint32(at, v.getUint32(at, true), false);
    const little = await readLdCache(new BufferSource("le", bytes.slice()));
    const n = v.getUint32(20, true);
    const ext = v.getUint32(32, true);
    for (const at of [20, 24, 32]) swap32(at);
    bytes[28] = 3;
    for (let i = 0; i < n; i++) {
      const at = 48 + i * 24;
      for (const k of [0, 4, 8, 12]) swap32(at + k);
      v.setBigUint64(at + 16, v.getBigUint64(at + 16, true), false);
    }
    const count = v.getUint32(ext + 4, true);
    for (let at = ext; at < ext + 8 + count * 16; at += 4) swap32(at);
    const hwcaps = [...Array(count).keys()].map((i) => ext + 8 + i * 16).find((at) => v.getUint32(at, false) === 1);
    if (hwcaps !== undefined) {
      const start = v.getUint32(hwcaps + 8, false);
      for (let at = start; at < start + v.getUint32(hwcaps + 12, false); at += 4) swap32(at);
    }
    expect(await readLdCache(new BufferSource("be", bytes))).toEqual(little);
  });
});
