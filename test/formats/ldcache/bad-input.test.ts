import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { LD_CACHE_MAX_BYTES, readLdCache } from "../../../src/formats/ldcache/read.js";
import { FormatError, LimitError } from "../../../src/io/errors.js";
import { BufferSource, type ByteSource } from "../../../src/io/source.js";

// Every case damages a copy of a cache the real ldconfig wrote.
const dir = resolve("test/fixtures/out/ldcache");
const caches = Object.fromEntries(
  ["new", "old", "compat"].map((f) => [f, new Uint8Array(readFileSync(`${dir}/${f}.cache`))]),
) as Record<"new" | "old" | "compat", Uint8Array>;

function damaged(name: keyof typeof caches, edit: (v: DataView, b: Uint8Array) => void): BufferSource {
  const bytes = caches[name].slice();
  edit(new DataView(bytes.buffer), bytes);
  return new BufferSource(`${name}-damaged`, bytes);
}

async function formatError(src: ByteSource): Promise<FormatError> {
  try {
    await readLdCache(src);
  } catch (e) {
    if (e instanceof FormatError) return e;
    throw e;
  }
  throw new Error(`${src.name} was accepted`);
}

describe("ld.so.cache bad input", () => {
  it("every truncation is a FormatError or a shorter valid reading, never another error", async () => {
    for (const [name, bytes] of Object.entries(caches)) {
      let errors = 0;
      for (let len = 0; len < bytes.length; len++) {
        try {
          await readLdCache(new BufferSource(`${name}-${len}`, bytes.subarray(0, len)));
        } catch (e) {
          expect(e, `${name} cut at ${len}`).toBeInstanceOf(FormatError);
          errors++;
        }
      }
      expect(errors, name).toBeGreaterThan(bytes.length / 2);
    }
  });

  it("a huge nlibs is refused from the header, before any entry is read", async () => {
    const e = await formatError(damaged("new", (v) => v.setUint32(20, 0xffff_ffff, true)));
    expect([e.offset, e.structure]).toEqual([20, "cache nlibs"]);
    const o = await formatError(damaged("old", (v) => v.setUint32(12, 0x4000_0000, true)));
    expect([o.offset, o.structure]).toEqual([12, "old cache nlibs"]);
  });

  it("string offsets outside the file are FormatErrors naming the entry", async () => {
    const key = await formatError(damaged("new", (v) => v.setUint32(48 + 4, 0x7fff_0000, true)));
    expect(key.structure).toBe("entry 0 key");
    const value = await formatError(damaged("old", (v) => v.setUint32(16 + 8, 0x7fff_0000, true)));
    expect(value.structure).toBe("entry 0 value");
    // In the compat layout the new table sits after the old one: offsets count from there.
    const compat = await formatError(
      damaged("compat", (v) => {
        const newAt = (16 + 12 * v.getUint32(12, true) + 7) & ~7;
        v.setUint32(newAt + 48 + 8, v.byteLength, true);
      }),
    );
    expect(compat.structure).toBe("entry 0 value");
  });

  it("a string that runs to the end of the file without NUL is a FormatError", async () => {
    // The old layout ends with its string table: overwrite the last string's terminator and what precedes it.
    const e = await formatError(damaged("old", (_v, b) => b.fill(0x41, b.length - 40)));
    expect(e.expected).toBe("a NUL-terminated string");
  });

  it("a damaged extension directory is a FormatError, as ldconfig -p refuses it", async () => {
    const misaligned = await formatError(damaged("new", (v) => v.setUint32(32, v.getUint32(32, true) + 2, true)));
    expect(misaligned.structure).toBe("extension_offset");
    const magic = await formatError(damaged("new", (v) => v.setUint32(v.getUint32(32, true), 0, true)));
    expect(magic.structure).toBe("extension directory");
    const count = await formatError(damaged("new", (v) => v.setUint32(v.getUint32(32, true) + 4, 0x1000_0000, true)));
    expect(count.structure).toBe("extension count");
    const section = await formatError(damaged("new", (v) => v.setUint32(v.getUint32(32, true) + 8 + 12, 0xffff, true)));
    expect(section.structure).toBe("extension section 0");
  });

  it("wrong magic and the invalid endianness mark are FormatErrors", async () => {
    expect((await formatError(damaged("new", (_v, b) => b.set([0x78], 0)))).structure).toBe("cache header");
    expect((await formatError(damaged("new", (_v, b) => b.set([1], 28)))).structure).toBe("cache flags");
  });

  it("an input over the size limit is refused without reading it", async () => {
    const huge: ByteSource = {
      name: "huge",
      size: LD_CACHE_MAX_BYTES + 1,
      read: () => Promise.reject(new Error("must not be read")),
    };
    await expect(readLdCache(huge)).rejects.toBeInstanceOf(LimitError);
  });

  it("random damage gives a reading or a FormatError, never another error", async () => {
    let seed = 99;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (const name of ["new", "old", "compat"] as const) {
      for (let i = 0; i < 500; i++) {
        const src = damaged(name, (_v, b) => {
          for (let k = 0; k <= rand(4); k++) b[rand(b.length)] = rand(256);
        });
        try {
          await readLdCache(src);
        } catch (e) {
          expect(e).toBeInstanceOf(FormatError);
        }
      }
    }
  });
});
