import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { readDynamic } from "../../../src/formats/elf/dynamic.js";
import { ElfFile } from "../../../src/formats/elf/file.js";
import { readX86IsaLevel } from "../../../src/formats/elf/property.js";
import { BufferSource, FileSource } from "../../../src/io/source.js";
import { run, splitReadelfDynamic } from "./tools.js";

const systemLibs = "/usr/lib/x86_64-linux-gnu";
const fixtureLibs = resolve("test/fixtures/out/elf/lib");

function isElf(path: string): boolean {
  const fd = openSync(path, "r");
  try {
    const b = Buffer.alloc(4);
    return readSync(fd, b, 0, 4, 0) === 4 && b.toString("latin1") === "\x7fELF";
  } finally {
    closeSync(fd);
  }
}

async function withElf<T>(path: string, fn: (elf: ElfFile) => Promise<T>): Promise<T> {
  const src = await FileSource.open(path);
  try {
    return await fn(await ElfFile.open(src));
  } finally {
    await src.close();
  }
}

describe("readDynamic against readelf -d", () => {
  it("matches every shared library in /usr/lib/x86_64-linux-gnu and every fixture library", async () => {
    const files = [
      ...readdirSync(systemLibs)
        .filter((f) => f.includes(".so"))
        .map((f) => join(systemLibs, f))
        .filter((f) => statSync(f, { throwIfNoEntry: false })?.isFile() && isElf(f)),
      ...readdirSync(fixtureLibs).map((f) => join(fixtureLibs, f)),
    ];
    expect(files.length).toBeGreaterThan(100);
    const tool = splitReadelfDynamic(run("readelf", ["-dW", ...files]), files);
    let withSoname = 0;
    for (const f of files) {
      const expected = tool.get(f);
      expect(expected, f).toBeDefined();
      const ours = await withElf(f, readDynamic);
      if (!expected?.hasDynamic) {
        expect(ours, f).toBeUndefined();
        continue;
      }
      const { hasDynamic: _, ...want } = expected;
      expect(ours, f).toEqual(want);
      if (ours?.soname) withSoname++;
    }
    expect(withSoname).toBeGreaterThan(100);
  });

  it("reads names in ELF32/ELF64, little- and big-endian libraries built by real toolchains", async () => {
    const cases = {
      "libfoo-m32.so": { bits: 32, le: true, runpath: "$ORIGIN/../lib32:/opt/m32" },
      "libfoo-mx32.so": { bits: 32, le: true, rpath: "/opt/x32" },
      "libfoo-be64.so": { bits: 64, le: false, runpath: "$ORIGIN:/opt/be64" },
      "libfoo-be32.so": { bits: 32, le: false, runpath: "$ORIGIN:/opt/be32" },
    };
    for (const [file, want] of Object.entries(cases)) {
      const path = join(fixtureLibs, file);
      const tool = splitReadelfDynamic(run("readelf", ["-dW", path]), [path]).get(path);
      await withElf(path, async (elf) => {
        expect({ bits: elf.header.bits, le: elf.header.littleEndian }).toEqual({ bits: want.bits, le: want.le });
        const d = await readDynamic(elf);
        expect(d?.soname).toBe(tool?.soname);
        expect(d?.needed).toEqual(tool?.needed);
        expect(d?.runpath).toBe(tool?.runpath);
        expect(d?.rpath).toBe(tool?.rpath);
        expect(d?.runpath ?? d?.rpath).toBe("runpath" in want ? want.runpath : want.rpath);
      });
    }
  });

  it("needs no section headers (a library whose section header table is gone)", async () => {
    const path = join(systemLibs, "libz.so.1");
    const bytes = new Uint8Array(readFileSync(path));
    const view = new DataView(bytes.buffer);
    view.setBigUint64(40, 0n, true); // e_shoff
    view.setUint16(60, 0, true); // e_shnum
    view.setUint16(62, 0, true); // e_shstrndx
    const elf = await ElfFile.open(new BufferSource("libz-no-sections", bytes));
    expect(elf.sections).toEqual([]);
    const tool = splitReadelfDynamic(run("readelf", ["-dW", path]), [path]).get(path);
    expect((await readDynamic(elf))?.soname).toBe(tool?.soname);
  });
});

describe("readX86IsaLevel against readelf -n", () => {
  it("reads the ISA level ldconfig records", async () => {
    const levels: Record<string, number> = { "x86-64-baseline": 0, "x86-64-v2": 1, "x86-64-v3": 2, "x86-64-v4": 3 };
    for (const path of [join(fixtureLibs, "libv3.so"), join(systemLibs, "libc.so.6"), join(systemLibs, "libz.so.1")]) {
      const needed = /x86 ISA needed: (\S+)/.exec(run("readelf", ["-nW", path]))?.[1];
      const level = await withElf(path, readX86IsaLevel);
      expect(level, path).toBe(needed === undefined ? 0 : levels[needed]);
    }
    expect(await withElf(join(fixtureLibs, "libv3.so"), readX86IsaLevel)).toBe(2);
  });
});
