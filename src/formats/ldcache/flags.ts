/** Entry flag bits of ld.so.cache (glibc sysdeps/generic/ldconfig.h): a library type and a required ABI. */
export const FLAG_ELF = 0x0001;
export const FLAG_ELF_LIBC6 = 0x0003;
export const FLAG_X8664_LIB64 = 0x0300;
export const FLAG_X8664_LIBX32 = 0x0800;
export const FLAG_ARM_LIBHF = 0x0900;
export const FLAG_AARCH64_LIB64 = 0x0a00;
export const FLAG_ARM_LIBSF = 0x0b00;

const types = ["libc4", "ELF", "libc5", "libc6"];

/** The ABI words ldconfig -p prints for each value of the high byte. */
const abis = new Map<number, string>([
  [0x0100, "64bit"], // sparc64
  [0x0200, "IA-64"],
  [0x0300, "x86-64"],
  [0x0400, "64bit"], // s390x
  [0x0500, "64bit"], // ppc64
  [0x0600, "N32"],
  [0x0700, "64bit"], // mips64 n64
  [0x0800, "x32"],
  [0x0900, "hard-float"],
  [0x0a00, "AArch64"],
  [0x0b00, "soft-float"],
  [0x0c00, "nan2008"],
  [0x0d00, "N32,nan2008"],
  [0x0e00, "64bit,nan2008"],
  [0x0f00, "soft-float"], // riscv
  [0x1000, "double-float"],
]);

/** Flags in the words of `ldconfig -p` (glibc 2.36 elf/cache.c print_entry), e.g. `libc6,x86-64`. */
export function ldCacheFlagsText(flags: number): string {
  const type = types[flags & 0xff] ?? "unknown";
  const abi = flags & 0xff00;
  if (abi === 0) return type;
  return `${type},${abis.get(abi) ?? String(abi)}`;
}
