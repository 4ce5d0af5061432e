/**
 * A module's `__versions` section (CONFIG_MODVERSIONS): the CRC of each symbol it imports, as modpost wrote it
 * from the kernel's Module.symvers. struct modversion_info { unsigned long crc; char name[64 - sizeof(long)]; }
 * (include/linux/module.h), what `modprobe --dump-modversions` prints and check_version() compares at load.
 */
import { FormatError } from "../../io/errors.js";
import { EndianReader } from "./endian.js";
import type { ElfFile } from "./file.js";

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
