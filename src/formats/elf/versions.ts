/**
 * A module's symbol CRCs (CONFIG_MODVERSIONS). Imported: its `__versions` section, as modpost wrote it from
 * the kernel's Module.symvers; struct modversion_info { unsigned long crc; char name[64 - sizeof(long)]; }
 * (include/linux/module.h), what `modprobe --dump-modversions` prints and check_version() compares at load.
 * Exported: one u32 per symbol in `__kcrctab` / `__kcrctab_gpl`, each labelled `__crc_<name>` in the symbol
 * table (include/linux/export-internal.h SYMBOL_CRC; modules keep their symbol table).
 */
import { FormatError } from "../../io/errors.js";
import { EndianReader } from "./endian.js";
import type { ElfFile } from "./file.js";
import { readSymbols } from "./symbols.js";

const RECORD = 64;

export interface ModVersion {
  readonly name: string;
  readonly crc: number;
}

/** The imported symbols' CRCs in section order; empty for a module built without MODVERSIONS. */
export async function readModVersions(elf: ElfFile): Promise<ModVersion[]> {
  const s = elf.section("__versions");
  if (s === undefined) return [];
  if (s.size % RECORD !== 0) {
    throw new FormatError(elf.src.name, s.offset, "__versions", `whole ${RECORD}-byte records`, `${s.size} bytes`);
  }
  const bytes = await elf.sectionData(s);
  const r = new EndianReader(bytes, elf.header.littleEndian);
  const word = elf.header.bits === 64 ? 8 : 4;
  const out: ModVersion[] = [];
  for (let at = 0; at < bytes.length; at += RECORD) {
    // The CRC is a 32-bit value stored in an unsigned long.
    const crc = Number(r.word(at, word === 8) & 0xffff_ffffn);
    const name = bytes.subarray(at + word, at + RECORD);
    const end = name.indexOf(0);
    out.push({ name: new TextDecoder().decode(end < 0 ? name : name.subarray(0, end)), crc });
  }
  return out;
}

const CRC_LABEL = "__crc_";

/** The CRCs the module exports its symbols with, in symbol-table order; empty without MODVERSIONS exports. */
export async function readExportedVersions(elf: ElfFile): Promise<ModVersion[]> {
  const tables = new Map(
    elf.sections.filter((s) => s.name === "__kcrctab" || s.name === "__kcrctab_gpl").map((s) => [s.index, s]),
  );
  if (tables.size === 0) return [];
  const data = new Map<number, EndianReader>();
  const out: ModVersion[] = [];
  for (const sym of await readSymbols(elf, (n) => n.startsWith(CRC_LABEL))) {
    const tab = tables.get(sym.shndx);
    if (tab === undefined) continue;
    const at = Number(sym.value);
    if (at + 4 > tab.size) {
      throw new FormatError(elf.src.name, tab.offset, `${sym.name}`, `an offset inside ${tab.name}`, String(at));
    }
    const r = data.get(tab.index) ?? new EndianReader(await elf.sectionData(tab), elf.header.littleEndian);
    data.set(tab.index, r);
    out.push({ name: sym.name.slice(CRC_LABEL.length), crc: r.u32(at) });
  }
  return out;
}
