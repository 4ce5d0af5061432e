import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ElfFile } from "../../../src/formats/elf/file.js";
import { BufferSource } from "../../../src/io/source.js";
import { run } from "./tools.js";

const libs = resolve("test/fixtures/out/elf/lib");
const mods = resolve("test/fixtures/out/elf/mod");
const debianModule = resolve(
  "test/fixtures/out/debian-kernel/modules",
  readdirSync("test/fixtures/out/debian-kernel/modules")[0] ?? "",
  "kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko",
);
const samples = [
  ...readdirSync(libs).map((f) => join(libs, f)),
  ...readdirSync(mods).map((f) => join(mods, f)),
  debianModule,
  "/usr/lib/x86_64-linux-gnu/libz.so.1",
];

function open(path: string): Promise<ElfFile> {
  return ElfFile.open(new BufferSource(path, readFileSync(path)));
}

const hexNum = (s: string | undefined) => BigInt(`0x${s ?? "0"}`);

describe("ElfFile against readelf", () => {
  it("reads the header as readelf -h prints it", async () => {
    for (const f of samples) {
      const h = (await open(f)).header;
      const out = run("readelf", ["-hW", f]);
      const field = (label: string) => new RegExp(`^\\s*${label}:\\s+(.*)$`, "m").exec(out)?.[1]?.trim() ?? "";
      expect(
        {
          class: `ELF${h.bits}`,
          data: h.littleEndian ? "little endian" : "big endian",
          entry: `0x${h.entry.toString(16)}`,
          phoff: String(h.phoff),
          shoff: String(h.shoff),
          flags: h.flags,
          ehsize: h.ehsize,
          phentsize: h.phentsize,
          phnum: h.phnum,
          shentsize: h.shentsize,
          shnum: h.shnum,
          shstrndx: h.shstrndx,
        },
        f,
      ).toEqual({
        class: field("Class"),
        data: field("Data").replace(/^2's complement, /, ""),
        entry: field("Entry point address"),
        phoff: field("Start of program headers").split(" ")[0],
        shoff: field("Start of section headers").split(" ")[0],
        flags: Number.parseInt(field("Flags").split(",")[0] ?? "", 16),
        ehsize: Number.parseInt(field("Size of this header"), 10),
        phentsize: Number.parseInt(field("Size of program headers"), 10),
        phnum: Number.parseInt(field("Number of program headers"), 10),
        shentsize: Number.parseInt(field("Size of section headers"), 10),
        shnum: Number.parseInt(field("Number of section headers"), 10),
        shstrndx: Number.parseInt(field("Section header string table index"), 10),
      });
    }
  });

  it("reads section headers and names as readelf -S prints them", async () => {
    const row =
      /^\s*\[\s*(\d+)\]\s(.*?)\s+(\S+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([A-Za-z]*)\s+(\d+)\s+(\d+)\s+(\d+)$/gm;
    for (const f of samples) {
      const elf = await open(f);
      const tool = [...run("readelf", ["-SW", f]).matchAll(row)].map((m) => ({
        index: Number(m[1]),
        name: m[2]?.trim(),
        addr: hexNum(m[4]),
        offset: Number(hexNum(m[5])),
        size: Number(hexNum(m[6])),
        entsize: hexNum(m[7]),
        link: Number(m[9]),
        info: Number(m[10]),
        addralign: BigInt(m[11] ?? ""),
      }));
      expect(tool.length, f).toBe(elf.header.shnum);
      expect(
        elf.sections.map(({ index, name, addr, offset, size, entsize, link, info, addralign }) => ({
          index,
          name,
          addr,
          offset,
          size,
          entsize,
          link,
          info,
          addralign,
        })),
        f,
      ).toEqual(tool);
    }
  });

  it("reads program headers as readelf -l prints them", async () => {
    const row =
      /^\s+([A-Z_a-z0-9+]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+([R ][W ][E ])\s+0x([0-9a-f]+)$/gm;
    for (const f of samples) {
      const elf = await open(f);
      const tool = [...run("readelf", ["-lW", f]).matchAll(row)].map((m) => ({
        offset: Number(hexNum(m[2])),
        vaddr: hexNum(m[3]),
        paddr: hexNum(m[4]),
        filesz: Number(hexNum(m[5])),
        memsz: hexNum(m[6]),
        flags: (m[7]?.[0] === "R" ? 4 : 0) | (m[7]?.[1] === "W" ? 2 : 0) | (m[7]?.[2] === "E" ? 1 : 0),
        align: hexNum(m[8]),
      }));
      expect(tool.length, f).toBe(elf.header.phnum);
      expect(
        elf.segments.map(({ offset, vaddr, paddr, filesz, memsz, flags, align }) => ({
          offset,
          vaddr,
          paddr,
          filesz,
          memsz,
          flags,
          align,
        })),
        f,
      ).toEqual(tool);
    }
  });

  it("covers both classes and byte orders", async () => {
    const kinds = new Set<string>();
    for (const f of samples) {
      const h = (await open(f)).header;
      kinds.add(`${h.bits}${h.littleEndian ? "LE" : "BE"}`);
    }
    expect([...kinds].sort()).toEqual(["32BE", "32LE", "64BE", "64LE"]);
  });
});
