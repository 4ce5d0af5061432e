/**
 * The `.comment` section: NUL-terminated strings that each compiler and linker of the object appends (GCC
 * writes `GCC: (Debian 12.2.0-14) 12.2.0`, clang `Debian clang version 14.0.6`, lld `Linker: LLD 19.1.7`),
 * and the compiler named by one of them or by the kernel's CONFIG_CC_VERSION_TEXT.
 */
import type { ElfFile } from "./file.js";

/** `.comment` is a few short strings; more than this is not a compiler's. */
const MAX_COMMENT = 1 << 16;

export async function readComments(elf: ElfFile): Promise<string[]> {
  const s = elf.section(".comment");
  if (s === undefined || s.size > MAX_COMMENT) return [];
  const text = new TextDecoder().decode(await elf.sectionData(s));
  return [...new Set(text.split("\0").filter((x) => x !== ""))];
}

export interface Compiler {
  readonly family: "gcc" | "clang";
  /** The upstream version, `12.2.0`. */
  readonly version: string;
  readonly text: string;
}

/**
 * The compiler a string names: GCC's `.comment` (`GCC: (vendor) X.Y.Z`) and `gcc --version`'s first line
 * (`gcc-12 (Debian 12.2.0-14) 12.2.0`, what Kconfig stores) end in the version; clang's say `clang version X.Y.Z`.
 */
export function parseCompiler(text: string): Compiler | undefined {
  const clang = /\bclang version (\d+\.\d+\.\d+)/.exec(text);
  if (clang) return { family: "clang", version: clang[1] as string, text };
  const gcc = /^(?:GCC:|[\w.+-]*gcc[\w.+-]*) (?:\(.*\) )?(\d+\.\d+\.\d+)/.exec(text);
  if (gcc) return { family: "gcc", version: gcc[1] as string, text };
  return undefined;
}

/** The compilers an object's `.comment` names, in order, without repeats. */
export const compilersOf = (comments: readonly string[]): Compiler[] =>
  comments.map(parseCompiler).filter((c): c is Compiler => c !== undefined);
