import { lstat, opendir, readdir, stat } from "node:fs/promises";
import { FormatError } from "../../io/errors.js";
import { FileSource } from "../../io/source.js";
import { readDynamic } from "../elf/dynamic.js";
import { ElfFile } from "../elf/file.js";
import { EM_386, EM_X86_64, ET_DYN } from "../elf/header.js";
import { readX86IsaLevel } from "../elf/property.js";
import { PT_INTERP } from "../elf/tables.js";
import { type LdconfigArch, ldconfigFlags } from "./elf-flags.js";
import type { LdCacheEntryFields } from "./entry.js";
import { dlCacheLibcmp } from "./libcmp.js";
import { resolveInRoot } from "./root-path.js";

export interface TreeLibs {
  /** In ldconfig's insertion order: directory by directory, each followed by its glibc-hwcaps subdirectories. */
  libs: LdCacheEntryFields[];
  /** Files that look like libraries but that ldconfig would not cache, and why. */
  skipped: { path: string; reason: string }[];
}

interface Dir {
  path: string;
  host: string;
  hwcaps?: string;
}

interface Found {
  name: string;
  soname: string;
  flags: number;
  isaLevel: number;
  isLink: boolean;
}

const utf8 = new TextEncoder();

/**
 * The libraries `ldconfig -r ROOT` would put in the cache for these directories (glibc 2.36 elf/ldconfig.c
 * search_dir): names that look like DSOs, the soname from DT_SONAME (or the file name), one entry per soname and
 * directory, preferring a file to a link and otherwise the higher version. Directories are taken in the given
 * order (ldconfig's: ld.so.conf's, then its built-in ones) and a directory reached twice counts once, under its
 * first path. Legacy hwcap subdirectories (`tls`, platform names) are not searched.
 */
export async function ldCacheLibsFromTree(
  root: string,
  dirs: readonly string[],
  arch: LdconfigArch,
): Promise<TreeLibs> {
  const skipped: TreeLibs["skipped"] = [];
  const libs: LdCacheEntryFields[] = [];
  for (const dir of await expandDirs(root, dirs, skipped)) {
    const found = await scanDir(root, dir, arch, skipped);
    for (const f of found) {
      libs.push({
        soname: f.soname,
        // A glibc-hwcaps entry names the file itself; elsewhere ldconfig names the soname link.
        path: `${dir.path}/${dir.hwcaps === undefined ? f.soname : f.name}`,
        flags: f.flags,
        ...(dir.hwcaps === undefined ? {} : { hwcapsName: dir.hwcaps, isaLevel: f.isaLevel }),
      });
    }
  }
  return { libs, skipped };
}

async function expandDirs(root: string, dirs: readonly string[], skipped: TreeLibs["skipped"]): Promise<Dir[]> {
  const out: Dir[] = [];
  const seen = new Set<string>();
  const add = async (path: string, hwcaps?: string): Promise<Dir | undefined> => {
    const host = await resolveInRoot(root, path);
    const st = host === undefined ? undefined : await stat(host).catch(() => undefined);
    if (host === undefined || !st?.isDirectory()) {
      if (hwcaps === undefined) skipped.push({ path, reason: "no such directory" });
      return undefined;
    }
    const id = `${st.dev}:${st.ino}`;
    if (seen.has(id)) return undefined;
    seen.add(id);
    const d: Dir = hwcaps === undefined ? { path, host } : { path, host, hwcaps };
    out.push(d);
    return d;
  };
  for (const raw of dirs) {
    const path = raw.trim().replace(/\/+$/, "");
    if (path === "") continue;
    const d = await add(path);
    if (d === undefined) continue;
    const names = await readdir(`${d.host}/glibc-hwcaps`).catch(() => [] as string[]);
    for (const name of names.sort()) {
      if (name.startsWith(".") || name.includes(":")) continue;
      await add(`${path}/glibc-hwcaps/${name}`, name);
    }
  }
  return out;
}

/** glibc's `_dl_is_dso`. */
function looksLikeDso(name: string): boolean {
  return (
    ((name.startsWith("lib") || name.startsWith("ld-")) && name.includes(".so")) ||
    name.startsWith("ld.so.") ||
    name.startsWith("ld64.so.")
  );
}

async function scanDir(root: string, dir: Dir, arch: LdconfigArch, skipped: TreeLibs["skipped"]) {
  const bySoname = new Map<string, Found>();
  for (const name of await rawNames(dir.host)) {
    if (!looksLikeDso(name) || name.endsWith(".#prelink#") || /\.#prelink#\.......$/.test(name)) continue;
    const path = `${dir.path}/${name}`;
    const lst = await lstat(`${dir.host}/${name}`);
    let isLink = lst.isSymbolicLink();
    if (!isLink && !lst.isFile()) continue;
    const host = isLink ? await resolveInRoot(root, path) : `${dir.host}/${name}`;
    const st = host === undefined ? undefined : await stat(host).catch(() => undefined);
    if (host === undefined || st === undefined) {
      skipped.push({ path, reason: "dangling symbolic link" });
      continue;
    }
    if (!st.isFile()) continue;
    const lib = await readLibrary(host, path, arch);
    if (typeof lib === "string") {
      skipped.push({ path, reason: lib });
      continue;
    }
    let soname = lib.soname ?? name;
    // A link counts as a link only when it is named after the soname or is its `.so` development link.
    if (isLink && name !== soname && !(name.endsWith(".so") && soname.startsWith(name))) isLink = false;
    if (isLink) soname = name;
    const prev = bySoname.get(soname);
    if (
      prev === undefined ||
      (!isLink && prev.isLink) ||
      (isLink === prev.isLink && dlCacheLibcmp(utf8.encode(prev.name), utf8.encode(name)) < 0)
    ) {
      bySoname.set(soname, { name, soname, flags: lib.flags, isaLevel: lib.isaLevel, isLink });
    }
  }
  // ldconfig pushes each new soname on the front of its list and caches the list front to back; the order only
  // shows between sonames that compare equal, such as libfoo.so.02 and libfoo.so.2.
  return [...bySoname.values()].reverse();
}

/** Directory entries in the order the file system returns them (fs.readdir would sort them), as ldconfig sees them. */
async function rawNames(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of await opendir(dir)) names.push(e.name);
  return names;
}

/** The ELF facts ldconfig takes from a library, or why it would not take it. */
async function readLibrary(
  host: string,
  path: string,
  arch: LdconfigArch,
): Promise<{ soname?: string; flags: number; isaLevel: number } | string> {
  const src = await FileSource.open(host);
  try {
    const magic = src.size >= 4 ? await src.read(0, 4, "ELF magic") : new Uint8Array(0);
    if (magic.length < 4 || magic[0] !== 0x7f || magic[1] !== 0x45 || magic[2] !== 0x4c || magic[3] !== 0x46) {
      return "not an ELF file";
    }
    const elf = await ElfFile.open(src);
    if (elf.header.type !== ET_DYN) return `not a shared object (e_type ${elf.header.type})`;
    const dyn = await readDynamic(elf);
    if (dyn === undefined) return "no dynamic section";
    const interpSeg = elf.segments.find((p) => p.type === PT_INTERP);
    const interp = interpSeg === undefined ? undefined : cstr(await elf.segmentData(interpSeg));
    const flags = ldconfigFlags(arch, elf.header, interp, dyn.needed);
    if (flags === undefined) return `the ${arch} ldconfig does not take ELF machine ${elf.header.machine}`;
    const x86 = elf.header.machine === EM_X86_64 || elf.header.machine === EM_386;
    return {
      ...(dyn.soname === undefined ? {} : { soname: dyn.soname }),
      flags,
      isaLevel: x86 ? await readX86IsaLevel(elf) : 0,
    };
  } catch (e) {
    if (e instanceof FormatError) return `bad ELF: ${e.message.replace(`${host}: `, `${path}: `)}`;
    throw e;
  } finally {
    await src.close();
  }
}

function cstr(b: Uint8Array): string {
  const end = b.indexOf(0);
  return new TextDecoder().decode(end < 0 ? b : b.subarray(0, end));
}
