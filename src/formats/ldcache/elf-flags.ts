import { type ElfHeader, EM_386, EM_AARCH64, EM_ARM, EM_X86_64 } from "../elf/header.js";
import {
  FLAG_AARCH64_LIB64,
  FLAG_ARM_LIBHF,
  FLAG_ARM_LIBSF,
  FLAG_ELF,
  FLAG_ELF_LIBC6,
  FLAG_X8664_LIB64,
  FLAG_X8664_LIBX32,
} from "./flags.js";

/** The architectures whose ldconfig this module imitates: Talos' two. */
export type LdconfigArch = "x86_64" | "aarch64";

/** Interpreters and needed libraries that make a generic ELF library libc6 (glibc sysdeps/.../ldconfig.h). */
const known: Record<LdconfigArch, { interpreters: string[]; libs: string[] }> = {
  x86_64: {
    interpreters: [
      "/lib/ld-linux-x86-64.so.2",
      "/lib/ld-linux.so.2",
      "/libx32/ld-linux-x32.so.2",
      "/lib64/ld-linux-x86-64.so.2",
    ],
    libs: ["libc.so.6", "libm.so.6"],
  },
  aarch64: {
    interpreters: [
      "/lib/ld-linux-aarch64.so.1",
      "/lib/ld-linux-aarch64_be.so.1",
      "/lib/ld-linux-aarch64_ilp32.so.1",
      "/lib/ld-linux-aarch64_be_ilp32.so.1",
      "/lib/ld-linux.so.3",
      "/lib/ld-linux-armhf.so.3",
    ],
    libs: ["libc.so.6", "libm.so.6"],
  },
};

const EF_ARM_EABI_VER5 = 0x05000000;
const EF_ARM_ABI_FLOAT_SOFT = 0x200;
const EF_ARM_ABI_FLOAT_HARD = 0x400;

/**
 * The cache flags the ldconfig of `arch` gives a shared library (glibc 2.36 sysdeps/unix/sysv/linux/x86/readelflib.c
 * and arm/readelflib.c), or undefined when that ldconfig does not take this machine. (The arm64 ldconfig itself
 * checks only the ELF class and would file any 64-bit library as AArch64; we refuse other machines instead.)
 */
export function ldconfigFlags(
  arch: LdconfigArch,
  h: ElfHeader,
  interpreter: string | undefined,
  needed: readonly string[],
): number | undefined {
  const generic = () => {
    const k = known[arch];
    if (interpreter !== undefined && k.interpreters.includes(interpreter)) return FLAG_ELF_LIBC6;
    return needed.some((n) => k.libs.includes(n)) ? FLAG_ELF_LIBC6 : FLAG_ELF;
  };
  if (arch === "x86_64") {
    if (h.machine === EM_X86_64)
      return h.bits === 64 ? FLAG_X8664_LIB64 | FLAG_ELF_LIBC6 : FLAG_X8664_LIBX32 | FLAG_ELF_LIBC6;
    if (h.machine === EM_386 && h.bits === 32) return generic();
    return undefined;
  }
  if (h.bits === 64) return h.machine === EM_AARCH64 ? FLAG_AARCH64_LIB64 | FLAG_ELF_LIBC6 : undefined;
  if (h.machine !== EM_ARM) return undefined;
  if ((h.flags & 0xff000000) !== EF_ARM_EABI_VER5) return generic();
  if (h.flags & EF_ARM_ABI_FLOAT_HARD) return FLAG_ARM_LIBHF | FLAG_ELF_LIBC6;
  if (h.flags & EF_ARM_ABI_FLOAT_SOFT) return FLAG_ARM_LIBSF | FLAG_ELF_LIBC6;
  return FLAG_ELF_LIBC6;
}
