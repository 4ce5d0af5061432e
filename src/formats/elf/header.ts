import { FormatError } from "../../io/errors.js";
import type { ByteSource } from "../../io/source.js";
import { EndianReader, toSafe } from "./endian.js";

/** The ELF file header (`Elf32_Ehdr` / `Elf64_Ehdr`), with extended numbering already resolved. */
export interface ElfHeader {
  /** 32 or 64 (EI_CLASS). */
  bits: 32 | 64;
  littleEndian: boolean;
  osAbi: number;
  abiVersion: number;
  /** ET_REL (1) for kernel modules, ET_DYN (3) for shared libraries. */
  type: number;
  /** EM_* machine number, e.g. 62 for x86-64, 183 for AArch64. */
  machine: number;
  version: number;
  entry: bigint;
  phoff: number;
  shoff: number;
  flags: number;
  ehsize: number;
  phentsize: number;
  /** Number of program headers (PN_XNUM resolved through section 0's sh_info). */
  phnum: number;
  shentsize: number;
  /** Number of section headers (0 in e_shnum resolved through section 0's sh_size). */
  shnum: number;
  /** Index of the section-name string table (SHN_XINDEX resolved through section 0's sh_link). */
  shstrndx: number;
}

export const ET_DYN = 3;
export const EM_386 = 3;
export const EM_ARM = 40;
export const EM_X86_64 = 62;
export const EM_AARCH64 = 183;

const SHN_XINDEX = 0xffff;
const PN_XNUM = 0xffff;

export async function readElfHeader(src: ByteSource): Promise<ElfHeader> {
  const ident = await src.read(0, 16, "ELF identification");
  if (ident[0] !== 0x7f || ident[1] !== 0x45 || ident[2] !== 0x4c || ident[3] !== 0x46) {
    throw new FormatError(src.name, 0, "ELF identification", "magic 7f 45 4c 46", hex(ident.subarray(0, 4)));
  }
  const cls = ident[4];
  if (cls !== 1 && cls !== 2) throw new FormatError(src.name, 4, "EI_CLASS", "1 (ELF32) or 2 (ELF64)", String(cls));
  const data = ident[5];
  if (data !== 1 && data !== 2) throw new FormatError(src.name, 5, "EI_DATA", "1 (LSB) or 2 (MSB)", String(data));
  if (ident[6] !== 1) throw new FormatError(src.name, 6, "EI_VERSION", "1", String(ident[6]));
  const is64 = cls === 2;
  const size = is64 ? 64 : 52;
  const r = new EndianReader(await src.read(0, size, "ELF header"), data === 1);
  const base = is64 ? 48 : 36; // e_flags; e_entry, e_phoff and e_shoff are 8 bytes wide in ELF64
  const h: ElfHeader = {
    bits: is64 ? 64 : 32,
    littleEndian: data === 1,
    osAbi: r.u8(7),
    abiVersion: r.u8(8),
    type: r.u16(16),
    machine: r.u16(18),
    version: r.u32(20),
    entry: r.word(24, is64),
    phoff: toSafe(r.word(is64 ? 32 : 28, is64), src.name, is64 ? 32 : 28, "e_phoff"),
    shoff: toSafe(r.word(is64 ? 40 : 32, is64), src.name, is64 ? 40 : 32, "e_shoff"),
    flags: r.u32(base),
    ehsize: r.u16(base + 4),
    phentsize: r.u16(base + 6),
    phnum: r.u16(base + 8),
    shentsize: r.u16(base + 10),
    shnum: r.u16(base + 12),
    shstrndx: r.u16(base + 14),
  };
  if (h.ehsize < size) throw new FormatError(src.name, base + 4, "e_ehsize", `at least ${size}`, String(h.ehsize));
  const shent = is64 ? 64 : 40;
  const phent = is64 ? 56 : 32;
  if (h.shoff !== 0 && h.shentsize !== shent) {
    throw new FormatError(src.name, base + 10, "e_shentsize", String(shent), String(h.shentsize));
  }
  if (h.phnum !== 0 && h.phentsize !== phent) {
    throw new FormatError(src.name, base + 6, "e_phentsize", String(phent), String(h.phentsize));
  }
  // Extended numbering: counts that do not fit 16 bits live in section header 0.
  if (h.shoff !== 0 && (h.shnum === 0 || h.shstrndx === SHN_XINDEX || h.phnum === PN_XNUM)) {
    const s0 = new EndianReader(await src.read(h.shoff, shent, "section header 0"), h.littleEndian);
    if (h.shnum === 0) h.shnum = toSafe(s0.word(is64 ? 32 : 20, is64), src.name, h.shoff, "section 0 sh_size");
    if (h.shstrndx === SHN_XINDEX) h.shstrndx = s0.u32(is64 ? 40 : 24);
    if (h.phnum === PN_XNUM) h.phnum = s0.u32(is64 ? 44 : 28);
  }
  return h;
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");
}
