/**
 * Which dynamic loader an object runs under, and the default search that loader brings: glibc's trusted
 * directories and ld.so.cache, or musl's path file. Paths are inside the object's root.
 */
import { EM_386, EM_AARCH64, EM_ARM, EM_X86_64 } from "../../formats/elf/header.js";
import { FLAG_AARCH64_LIB64, FLAG_ELF, FLAG_ELF_LIBC6, FLAG_X8664_LIB64 } from "../../formats/ldcache/flags.js";
import type { LayerObject } from "./object.js";
import type { World } from "./world.js";

export type LoaderKind = "glibc" | "musl";

export interface Loader {
  readonly kind: LoaderKind;
  /** The path as PT_INTERP names it (or the machine's usual one, for a library judged on its own). */
  readonly interp: string;
  /** The loader file, when it was read as ELF. */
  readonly object?: LayerObject;
  /** glibc: the ld.so.cache it reads. */
  readonly cache?: string;
  /** The last places searched, in order: glibc's trusted directories, musl's path file or built-in list. */
  readonly defaultDirs: readonly string[];
  /** What `defaultDirs` are, for the report. */
  readonly defaultFrom: string;
  /** glibc's $LIB (DL_DST_LIB: the last name of slibdir). */
  readonly lib?: string;
}

/** musl's LDSO_ARCH (arch/<arch>/reloc.h), which names its loader and path file. */
function muslArch(o: LayerObject): string | undefined {
  if (o.machine === EM_X86_64 && o.bits === 64) return "x86_64";
  if (o.machine === EM_AARCH64) return "aarch64";
  if (o.machine === EM_386) return "i386";
  return undefined;
}

/** The PT_INTERP gcc writes for the machine (glibc sysdeps/.../ldsodefs.h, musl's Makefile). */
export function usualInterp(kind: LoaderKind, o: LayerObject): string | undefined {
  if (kind === "musl") {
    const arch = muslArch(o);
    return arch === undefined ? undefined : `/lib/ld-musl-${arch}.so.1`;
  }
  if (o.machine === EM_X86_64 && o.bits === 64) return "/lib64/ld-linux-x86-64.so.2";
  if (o.machine === EM_AARCH64) return "/lib/ld-linux-aarch64.so.1";
  if (o.machine === EM_386) return "/lib/ld-linux.so.2";
  if (o.machine === EM_ARM) return "/lib/ld-linux-armhf.so.3";
  return undefined;
}

/** AT_PLATFORM as the kernel reports it, which glibc substitutes for $PLATFORM. */
export function platform(o: LayerObject): string | undefined {
  if (o.machine === EM_X86_64 && o.bits === 64) return "x86_64";
  if (o.machine === EM_AARCH64) return "aarch64";
  return undefined;
}

/** The cache flags this loader takes (glibc sysdeps/.../dl-cache.h _dl_cache_check_flags). */
export function cacheFlagsMatch(o: LayerObject, flags: number): boolean {
  if (o.machine === EM_X86_64 && o.bits === 64) return flags === (FLAG_X8664_LIB64 | FLAG_ELF_LIBC6);
  if (o.machine === EM_AARCH64) return flags === (FLAG_AARCH64_LIB64 | FLAG_ELF_LIBC6);
  return flags === FLAG_ELF || flags === FLAG_ELF_LIBC6;
}

export const loaderKind = (interp: string): LoaderKind =>
  (interp.split("/").pop() ?? "").startsWith("ld-musl-") ? "musl" : "glibc";

const dirname = (p: string) => p.slice(0, Math.max(p.lastIndexOf("/"), 0)) || "/";
const MUSL_DEFAULT = ["/lib", "/usr/local/lib", "/usr/lib"];

/** The loader `interp` inside `root`, as `o` would run under it; undefined when the tree lacks it. */
export function loaderAt(world: World, root: string, interp: string, o: LayerObject): Loader | undefined {
  const full = world.tree.file(root, interp);
  if (full === undefined) return undefined;
  const object = world.objectAt(full);
  const kind = loaderKind(interp);
  if (kind === "glibc") {
    // Without its strings (an unreadable loader) its own directory stands for slibdir.
    const dirs = object?.glibc?.systemDirs.length ? object.glibc.systemDirs : [dirname(full.slice(root.length))];
    return {
      kind,
      interp,
      ...(object ? { object } : {}),
      cache: object?.glibc?.cache ?? "/etc/ld.so.cache",
      defaultDirs: dirs,
      defaultFrom: "its trusted directories",
      lib: (dirs[0] ?? "/lib").split("/").pop() || "lib",
    };
  }
  // musl ldso/dynlink.c load_library: the path file is PREFIX/etc/ld-musl-ARCH.path, PREFIX the loader's name
  // less its last two components (/lib/ld-musl-x86_64.so.1 -> /etc/...); a file that is there, even empty,
  // replaces the built-in /lib:/usr/local/lib:/usr/lib.
  const arch = muslArch(o) ?? "";
  const parts = interp.split("/");
  const prefix = interp.startsWith("/") ? parts.slice(0, -2).join("/") : "";
  const pathFile = `${prefix}/etc/ld-musl-${arch}.path`;
  const file = world.tree.file(root, pathFile);
  const text = file === undefined ? undefined : world.pathFileAt(file);
  return {
    kind,
    interp,
    ...(object ? { object } : {}),
    defaultDirs: text === undefined ? MUSL_DEFAULT : text.split(/[:\n]/).filter((d) => d !== ""),
    defaultFrom: text === undefined ? "musl's built-in path" : pathFile,
  };
}
