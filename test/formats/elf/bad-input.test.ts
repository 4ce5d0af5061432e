import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { readDynamic, readDynamicInfo } from "../../../src/formats/elf/dynamic.js";
import { ElfFile } from "../../../src/formats/elf/file.js";
import { readModinfo } from "../../../src/formats/elf/modinfo.js";
import { FormatError } from "../../../src/io/errors.js";
import { BufferSource } from "../../../src/io/source.js";

// Every case starts from a real object and damages a copy of it.
const moduleBytes = readFileSync(resolve("test/fixtures/out/elf/mod/e1000e-x86_64.ko"));
const beModuleBytes = readFileSync(resolve("test/fixtures/out/elf/mod/odd-powerpc.ko"));
const libBytes = readFileSync("/usr/lib/x86_64-linux-gnu/libz.so.1");
const beLibBytes = readFileSync(resolve("test/fixtures/out/elf/lib/libfoo-be64.so"));

function copy(b: Uint8Array): { bytes: Uint8Array; view: DataView } {
  const bytes = new Uint8Array(b);
  return { bytes, view: new DataView(bytes.buffer) };
}

/** Runs fn and returns its FormatError, or undefined when it succeeded; any other throw fails the test. */
async function outcome(fn: () => Promise<unknown>): Promise<FormatError | undefined> {
  try {
    await fn();
    return undefined;
  } catch (e) {
    if (e instanceof FormatError) return e;
    throw e;
  }
}

async function sectionHeaderAt(bytes: Uint8Array, name: string): Promise<number> {
  const elf = await ElfFile.open(new BufferSource("x", bytes));
  const s = elf.section(name);
  if (s === undefined) throw new Error(`no ${name}`);
  return elf.header.shoff + s.index * elf.header.shentsize;
}

describe("ELF bad input", () => {
  it("truncated modules and libraries give FormatError naming an offset", async () => {
    for (const [bytes, read] of [
      [moduleBytes, (s: BufferSource) => readModinfo(s)],
      [libBytes, (s: BufferSource) => readDynamicInfo(s)],
    ] as const) {
      let failed = 0;
      for (let len = 0; len < bytes.length; len += Math.max(1, Math.floor(bytes.length / 300))) {
        const err = await outcome(() => read(new BufferSource(`cut-${len}`, bytes.subarray(0, len))));
        if (err) {
          failed++;
          expect(err.file).toBe(`cut-${len}`);
          expect(Number.isInteger(err.offset)).toBe(true);
        }
      }
      expect(failed).toBeGreaterThan(250);
    }
  });

  it("a section whose offset lies past the end is a FormatError at that offset", async () => {
    const { bytes, view } = copy(moduleBytes);
    const sh = await sectionHeaderAt(bytes, ".modinfo");
    view.setBigUint64(sh + 24, 0x7fff_0000n, true);
    const err = await outcome(() => readModinfo(new BufferSource("far", bytes)));
    expect(err?.offset).toBe(0x7fff_0000);
    expect(err?.structure).toBe("section .modinfo");
  });

  it("a section size beyond 2^53 is a FormatError, not a lossy number", async () => {
    const { bytes, view } = copy(moduleBytes);
    const sh = await sectionHeaderAt(bytes, ".modinfo");
    view.setBigUint64(sh + 32, 0xffff_ffff_ffff_fff0n, true);
    const err = await outcome(() => readModinfo(new BufferSource("huge", bytes)));
    expect(err?.expected).toBe("a value below 2^53");
  });

  it("huge header counts fail before any table is read", async () => {
    const cases: [string, (v: DataView) => void][] = [
      ["e_shnum", (v) => v.setUint16(60, 0xfffe, true)],
      ["e_phnum", (v) => v.setUint16(56, 0xfffe, true)],
      // Extended numbering: e_shnum 0 sends the reader to section 0's sh_size.
      [
        "sh_size of section 0",
        (v) => {
          v.setUint16(60, 0, true);
          v.setBigUint64(Number(v.getBigUint64(40, true)) + 32, 1n << 40n, true);
        },
      ],
    ];
    for (const [what, damage] of cases) {
      const { bytes, view } = copy(libBytes);
      damage(view);
      const err = await outcome(() => ElfFile.open(new BufferSource(what, bytes)));
      expect(err?.message, what).toMatch(/entries of \d+ bytes/);
    }
  });

  it("a big-endian big shnum is read in its byte order and rejected", async () => {
    const { bytes, view } = copy(beModuleBytes);
    view.setUint16(48, 0xfff0, false); // ELF32 e_shnum
    const err = await outcome(() => readModinfo(new BufferSource("be", bytes)));
    expect(err?.structure).toBe("section header table");
  });

  it("a name offset outside the section-name table is a FormatError", async () => {
    const { bytes, view } = copy(moduleBytes);
    const sh = await sectionHeaderAt(bytes, ".modinfo");
    view.setUint32(sh, 0x00ff_ffff, true);
    const err = await outcome(() => readModinfo(new BufferSource("name", bytes)));
    expect(err?.structure).toMatch(/^section \d+ name$/);
  });

  it("dynamic entries pointing outside the string table or the loaded segments are FormatErrors", async () => {
    const elf = await ElfFile.open(new BufferSource("lib", libBytes));
    const dyn = elf.segments.find((p) => p.type === 2);
    if (dyn === undefined) throw new Error("no PT_DYNAMIC");
    const patch = async (tag: bigint, value: bigint) => {
      const { bytes, view } = copy(libBytes);
      for (let at = dyn.offset; at < dyn.offset + dyn.filesz; at += 16) {
        if (view.getBigUint64(at, true) === tag) view.setBigUint64(at + 8, value, true);
      }
      return outcome(() => readDynamicInfo(new BufferSource(`tag-${tag}`, bytes)));
    };
    expect((await patch(5n, 0x7fff_ffffn))?.structure).toBe("DT_STRTAB");
    expect((await patch(14n, 0x10_0000n))?.structure).toBe("DT_SONAME");
    expect((await patch(10n, 0x7fff_ffffn))?.structure).toBe("dynamic string table");
  });

  it("random damage to headers gives a result or a FormatError, never another error", async () => {
    let seed = 12345;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (const [name, base] of [
      ["module", moduleBytes],
      ["be-lib", beLibBytes],
      ["lib", libBytes],
    ] as const) {
      for (let i = 0; i < 300; i++) {
        const { bytes } = copy(base);
        for (let k = 0; k <= rand(4); k++) bytes[rand(Math.min(bytes.length, 4096))] = rand(256);
        const src = new BufferSource(`${name}-${i}`, bytes);
        await outcome(async () => {
          const elf = await ElfFile.open(src);
          await readDynamic(elf);
          const s = elf.section(".modinfo");
          if (s) await elf.sectionData(s);
        });
      }
    }
  });
});
