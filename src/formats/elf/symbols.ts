/**
 * An ELF object's symbol table (`.symtab`, SHT_SYMTAB, names in the string table its sh_link names): Elf32_Sym
 * and Elf64_Sym, read as `readelf -s` lists them.
 */
import { FormatError } from "../../io/errors.js";
import { cString, EndianReader } from "./endian.js";
import type { ElfFile } from "./file.js";

const SHT_SYMTAB = 2;

export interface ElfSymbol {
  readonly name: string;
  readonly value: bigint;
  readonly size: bigint;
  /** st_info: binding in the high nibble, type in the low. */
  readonly info: number;
  /** The section it is defined in (st_shndx), or SHN_UNDEF, SHN_ABS, ... */
  readonly shndx: number;
}

/** The symbols of `.symtab` whose name passes `wanted` (all by default), in table order; none when stripped. */
export async function readSymbols(elf: ElfFile, wanted: (name: string) => boolean = () => true): Promise<ElfSymbol[]> {
  const tab = elf.sections.find((s) => s.type === SHT_SYMTAB);
  if (tab === undefined) return [];
  const strtab = elf.sections[tab.link];
  if (strtab === undefined) {
    throw new FormatError(elf.src.name, tab.offset, ".symtab sh_link", "a string table section", String(tab.link));
  }
  const is64 = elf.header.bits === 64;
  const entry = is64 ? 24 : 16;
  if (tab.size % entry !== 0) {
    throw new FormatError(elf.src.name, tab.offset, ".symtab", `whole ${entry}-byte symbols`, `${tab.size} bytes`);
  }
  const r = new EndianReader(await elf.sectionData(tab), elf.header.littleEndian);
  const names = await elf.sectionData(strtab);
  const out: ElfSymbol[] = [];
  for (let at = 0; at < tab.size; at += entry) {
    const name = cString(names, r.u32(at), elf.src.name, strtab.offset, `symbol ${at / entry} name`);
    if (!wanted(name)) continue;
    out.push(
      is64
        ? { name, info: r.u8(at + 4), shndx: r.u16(at + 6), value: r.u64(at + 8), size: r.u64(at + 16) }
        : {
            name,
            value: BigInt(r.u32(at + 4)),
            size: BigInt(r.u32(at + 8)),
            info: r.u8(at + 12),
            shndx: r.u16(at + 14),
          },
    );
  }
  return out;
}
