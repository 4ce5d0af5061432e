import type { ElfFile } from "./file.js";
import { PT_INTERP } from "./tables.js";

/**
 * The program interpreter PT_INTERP names (the dynamic loader the kernel maps for an executable), or undefined
 * for an object without one: a static executable, or a library (glibc's libc.so.6 has one so it can be run).
 */
export async function readInterp(elf: ElfFile): Promise<string | undefined> {
  const p = elf.segments.find((s) => s.type === PT_INTERP);
  if (p === undefined) return undefined;
  const bytes = await elf.segmentData(p);
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
}
