import { FormatError } from "../../io/errors.js";
import type { ByteSource } from "../../io/source.js";
import { cString, EndianReader, toSafe } from "./endian.js";
import type { ElfHeader } from "./header.js";

/** One section header, its name resolved through the section-name string table. */
export interface ElfSection {
  index: number;
  name: string;
  /** SHT_* (1 PROGBITS, 2 SYMTAB, 3 STRTAB, 6 DYNAMIC, 8 NOBITS, ...). */
  type: number;
  flags: bigint;
  addr: bigint;
  offset: number;
  size: number;
  link: number;
  info: number;
  addralign: bigint;
  entsize: bigint;
}

/** One program header (segment). */
export interface ElfSegment {
  index: number;
  /** PT_* (1 LOAD, 2 DYNAMIC, 3 INTERP, 0x6474e553 GNU_PROPERTY, ...). */
  type: number;
  flags: number;
  offset: number;
  vaddr: bigint;
  paddr: bigint;
  filesz: number;
  memsz: bigint;
  align: bigint;
}

export const SHT_NOBITS = 8;
export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_INTERP = 3;
export const PT_GNU_PROPERTY = 0x6474e553;

/** Reads a table of `count` fixed-size entries after checking that it lies inside the file. */
async function readTable(src: ByteSource, offset: number, count: number, entsize: number, what: string) {
  const length = count * entsize;
  if (offset + length > src.size) {
    throw new FormatError(
      src.name,
      offset,
      what,
      `${count} entries of ${entsize} bytes`,
      `end of input at ${src.size}`,
    );
  }
  return src.read(offset, length, what);
}

export async function readSections(src: ByteSource, h: ElfHeader): Promise<ElfSection[]> {
  if (h.shoff === 0 || h.shnum === 0) return [];
  const is64 = h.bits === 64;
  const table = await readTable(src, h.shoff, h.shnum, h.shentsize, "section header table");
  const r = new EndianReader(table, h.littleEndian);
  const raw: (ElfSection & { nameOffset: number })[] = [];
  for (let i = 0; i < h.shnum; i++) {
    const at = i * h.shentsize;
    const fileAt = h.shoff + at;
    raw.push({
      index: i,
      name: "",
      nameOffset: r.u32(at),
      type: r.u32(at + 4),
      flags: r.word(at + 8, is64),
      addr: r.word(is64 ? at + 16 : at + 12, is64),
      offset: toSafe(r.word(is64 ? at + 24 : at + 16, is64), src.name, fileAt, `section ${i} sh_offset`),
      size: toSafe(r.word(is64 ? at + 32 : at + 20, is64), src.name, fileAt, `section ${i} sh_size`),
      link: r.u32(is64 ? at + 40 : at + 24),
      info: r.u32(is64 ? at + 44 : at + 28),
      addralign: r.word(is64 ? at + 48 : at + 32, is64),
      entsize: r.word(is64 ? at + 56 : at + 36, is64),
    });
  }
  if (h.shstrndx !== 0) {
    const strtab = raw[h.shstrndx];
    if (strtab === undefined) {
      throw new FormatError(src.name, 0, "e_shstrndx", `a section index below ${h.shnum}`, String(h.shstrndx));
    }
    const names = await src.read(strtab.offset, strtab.size, "section name string table");
    for (const s of raw) s.name = cString(names, s.nameOffset, src.name, strtab.offset, `section ${s.index} name`);
  }
  return raw.map(({ nameOffset: _, ...s }) => s);
}

export async function readSegments(src: ByteSource, h: ElfHeader): Promise<ElfSegment[]> {
  if (h.phnum === 0) return [];
  const is64 = h.bits === 64;
  const table = await readTable(src, h.phoff, h.phnum, h.phentsize, "program header table");
  const r = new EndianReader(table, h.littleEndian);
  const out: ElfSegment[] = [];
  for (let i = 0; i < h.phnum; i++) {
    const at = i * h.phentsize;
    const fileAt = h.phoff + at;
    out.push(
      is64
        ? {
            index: i,
            type: r.u32(at),
            flags: r.u32(at + 4),
            offset: toSafe(r.u64(at + 8), src.name, fileAt, `segment ${i} p_offset`),
            vaddr: r.u64(at + 16),
            paddr: r.u64(at + 24),
            filesz: toSafe(r.u64(at + 32), src.name, fileAt, `segment ${i} p_filesz`),
            memsz: r.u64(at + 40),
            align: r.u64(at + 48),
          }
        : {
            index: i,
            type: r.u32(at),
            offset: r.u32(at + 4),
            vaddr: BigInt(r.u32(at + 8)),
            paddr: BigInt(r.u32(at + 12)),
            filesz: r.u32(at + 16),
            memsz: BigInt(r.u32(at + 20)),
            flags: r.u32(at + 24),
            align: BigInt(r.u32(at + 28)),
          },
    );
  }
  return out;
}
