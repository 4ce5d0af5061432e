/**
 * What the dynamic loaders need to know of one ELF file a layer ships: its class and machine, the loader it
 * names, its dependencies and search paths, and, for a glibc loader, the search it was compiled with.
 */
import { readDynamic } from "../../formats/elf/dynamic.js";
import { ElfFile } from "../../formats/elf/file.js";
import { readInterp } from "../../formats/elf/interp.js";
import { BufferSource } from "../../io/source.js";

/** A glibc ld.so's compiled-in search: where its cache is and its trusted directories, in order. */
export interface GlibcLoaderConfig {
  /** LD_SO_CACHE (SYSCONFDIR "/ld.so.cache"), e.g. `/usr/local/glibc/etc/ld.so.cache`. */
  readonly cache: string;
  /** SYSTEM_DIRS (elf/Makefile trusted-dirs.h: default-rpath, i.e. slibdir then libdir), without trailing `/`. */
  readonly systemDirs: readonly string[];
}

export interface LayerObject {
  readonly layer: string;
  readonly path: string;
  readonly bits: 32 | 64;
  readonly machine: number;
  readonly interp?: string;
  readonly soname?: string;
  readonly needed: readonly string[];
  readonly rpath?: string;
  readonly runpath?: string;
  /** Present when the file is a glibc loader (its soname is ld-linux*, ld64.so*). */
  readonly glibc?: GlibcLoaderConfig;
}

const GLIBC_LOADER = /^(ld-linux|ld64\.so)/;
/** The trusted-dirs string as gen-trusted-dirs.awk writes it: `"/lib64/" "\0" "/usr/lib64/"`. */
const DIR_RUN = /(?:\/[\x21-\x7e]*\/\0)+/g;
const CACHE = /\/[\x21-\x7e]*\/ld\.so\.cache\0/;

/**
 * The strings glibc compiles into ld.so (elf/dl-load.c system_dirs[], elf/dl-cache.c LD_SO_CACHE): the first
 * run of two or more NUL-separated directories is SYSTEM_DIRS, which always holds slibdir and libdir.
 */
export function glibcLoaderConfig(bytes: Uint8Array): GlibcLoaderConfig {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
  const run = [...text.matchAll(DIR_RUN)]
    .map((m) => m[0].split("\0").filter((d) => d !== ""))
    .find((d) => d.length > 1);
  const cache = CACHE.exec(text)?.[0].slice(0, -1) ?? "/etc/ld.so.cache";
  return { cache, systemDirs: (run ?? []).map((d) => d.slice(0, -1) || "/") };
}

/** The file's loader facts, or undefined when it is not an ELF object with a readable dynamic section. */
export async function readLayerObject(
  bytes: Uint8Array,
  layer: string,
  path: string,
): Promise<LayerObject | undefined> {
  const elf = await ElfFile.open(new BufferSource(path, bytes)).catch(() => undefined);
  if (elf === undefined) return undefined;
  const interp = await readInterp(elf).catch(() => undefined);
  const dyn = await readDynamic(elf).catch(() => undefined);
  const { bits, machine } = elf.header;
  const soname = dyn?.soname;
  return {
    layer,
    path,
    bits,
    machine,
    ...(interp !== undefined ? { interp } : {}),
    ...(soname !== undefined ? { soname } : {}),
    needed: dyn?.needed ?? [],
    ...(dyn?.rpath !== undefined ? { rpath: dyn.rpath } : {}),
    ...(dyn?.runpath !== undefined ? { runpath: dyn.runpath } : {}),
    ...(soname !== undefined && GLIBC_LOADER.test(soname) ? { glibc: glibcLoaderConfig(bytes) } : {}),
  };
}
