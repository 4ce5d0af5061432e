/**
 * The CRCs a kernel exports its symbols with (CONFIG_MODVERSIONS), read from the decompressed vmlinux the way
 * the module loader pairs them (kernel/module/version.c, include/linux/export-internal.h in 6.x): `__ksymtab`
 * and `__ksymtab_gpl` hold struct kernel_symbol records, whose name is a PREL32 offset (relative to the field's
 * own address) into `__ksymtab_strings` where CONFIG_HAVE_ARCH_PREL32_RELOCATIONS is set (x86_64, arm64), and
 * `__kcrctab` / `__kcrctab_gpl` hold one u32 CRC per record, in the same order. The payload of a bzImage is the
 * vmlinux ELF stripped of symbols (`objcopy -R .comment -S`), so its section headers are still there.
 */

import { FormatError } from "../../io/errors.js";
import { BufferSource } from "../../io/source.js";
import { EndianReader } from "../elf/endian.js";
import { ElfFile } from "../elf/file.js";

/** struct kernel_symbol with PREL32 relocations: value_offset, name_offset, namespace_offset. */
const PREL32_SYMBOL = 12;

/** Symbol name -> CRC, or undefined when the kernel exports no CRCs (no MODVERSIONS, or not an ELF payload). */
export async function readExportCrcs(payload: Uint8Array, file: string): Promise<Map<string, number> | undefined> {
  const src = new BufferSource(file, payload);
  if (payload.length < 4 || payload[0] !== 0x7f || payload[1] !== 0x45) return undefined;
  const elf = await ElfFile.open(src);
  const strings = elf.section("__ksymtab_strings");
  if (strings === undefined || elf.section("__kcrctab") === undefined) return undefined;
  const strBytes = await elf.sectionData(strings);
  const out = new Map<string, number>();
  for (const [tab, crc] of [
    ["__ksymtab", "__kcrctab"],
    ["__ksymtab_gpl", "__kcrctab_gpl"],
  ] as const) {
    const t = elf.section(tab);
    const c = elf.section(crc);
    if (t === undefined || c === undefined) continue;
    const count = t.size / PREL32_SYMBOL;
    if (!Number.isInteger(count) || c.size !== count * 4) {
      throw new FormatError(
        file,
        c.offset,
        crc,
        `${t.size / PREL32_SYMBOL} CRCs, one per ${tab} record`,
        `${c.size} bytes`,
      );
    }
    const syms = new EndianReader(await elf.sectionData(t), elf.header.littleEndian);
    const crcs = new EndianReader(await elf.sectionData(c), elf.header.littleEndian);
    for (let i = 0; i < count; i++) {
      const field = t.addr + BigInt(i * PREL32_SYMBOL + 4);
      const at = Number(field + BigInt(syms.i32(i * PREL32_SYMBOL + 4)) - strings.addr);
      if (at < 0 || at >= strBytes.length) {
        throw new FormatError(
          file,
          t.offset + i * PREL32_SYMBOL + 4,
          `${tab} name`,
          "an offset into __ksymtab_strings",
        );
      }
      const end = strBytes.indexOf(0, at);
      out.set(new TextDecoder().decode(strBytes.subarray(at, end < 0 ? strBytes.length : end)), crcs.u32(i * 4));
    }
  }
  return out;
}
