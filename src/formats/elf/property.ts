import { EndianReader } from "./endian.js";
import type { ElfFile } from "./file.js";
import { PT_GNU_PROPERTY } from "./tables.js";

const NT_GNU_PROPERTY_TYPE_0 = 5;
const GNU_PROPERTY_X86_ISA_1_NEEDED = 0xc0008002;

/**
 * The x86 ISA level an object needs (0 baseline, 1 x86-64-v2, 2 x86-64-v3, 3 x86-64-v4): the highest bit of
 * GNU_PROPERTY_X86_ISA_1_NEEDED in the PT_GNU_PROPERTY note. Follows glibc's ldconfig (elf/readelflib.c):
 * a segment with the wrong alignment or a malformed property list counts as level 0, as it does there.
 */
export async function readX86IsaLevel(elf: ElfFile): Promise<number> {
  const wordSize = elf.header.bits / 8;
  const seg = elf.segments.find((p) => p.type === PT_GNU_PROPERTY);
  if (seg === undefined || seg.align !== BigInt(wordSize)) return 0;
  const r = new EndianReader(await elf.segmentData(seg), elf.header.littleEndian);
  const size = r.bytes.length;
  let note = 0;
  while (note + 12 < size) {
    const namesz = r.u32(note);
    const descsz = r.u32(note + 4);
    const type = r.u32(note + 8);
    const isGnu = namesz === 4 && note + 16 <= size && r.u32(note + 12) === (r.littleEndian ? 0x00554e47 : 0x474e5500);
    if (isGnu && type === NT_GNU_PROPERTY_TYPE_0) {
      if (descsz < 8 || descsz % wordSize !== 0) return 0;
      let p = note + 16;
      const end = Math.min(p + descsz, size);
      let lastType = 0;
      while (end - p >= 8) {
        const ptype = r.u32(p);
        const datasz = r.u32(p + 4);
        if (ptype < lastType) return 0;
        p += 8;
        if (p + datasz > end) return 0;
        lastType = ptype;
        if (ptype > GNU_PROPERTY_X86_ISA_1_NEEDED) return 0;
        if (ptype === GNU_PROPERTY_X86_ISA_1_NEEDED) {
          if (datasz !== 4) return 0;
          const needed = r.u32(p);
          return needed === 0 ? 0 : 31 - Math.clz32(needed);
        }
        p += align(datasz, wordSize);
      }
      return 0;
    }
    note = align(align(note + 12 + namesz, wordSize) + descsz, wordSize);
  }
  return 0;
}

function align(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}
