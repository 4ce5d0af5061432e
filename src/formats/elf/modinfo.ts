import { FormatError } from "../../io/errors.js";
import type { ByteSource } from "../../io/source.js";
import { ElfFile } from "./file.js";

export interface ModInfoEntry {
  key: string;
  value: string;
}

/** A module parameter, merged from its `parm=name:description` and `parmtype=name:type` entries. */
export interface ModParam {
  name: string;
  description?: string;
  /** e.g. `int`, `uint`, `charp`, `bool`, `array of int`. */
  type?: string;
}

/** The `.modinfo` section of a kernel module. */
export interface ModInfo {
  /** Every `key=value` string in section order (a string without `=` is a key with an empty value). */
  entries: ModInfoEntry[];
  name?: string;
  vermagic?: string;
  srcversion?: string;
  version?: string;
  license?: string;
  description?: string;
  author: string[];
  /** Module names from `depends=` (empty when the module depends on nothing). */
  depends: string[];
  intree: boolean;
  retpoline: boolean;
  alias: string[];
  firmware: string[];
  softdep: string[];
  importNs: string[];
  /** Parameters in order of first mention; a later mention of the same name overrides its text. */
  params: ModParam[];
}

const utf8 = new TextDecoder("utf-8");

/**
 * Splits `.modinfo` bytes the way kmod does (libkmod-elf.c `kmod_elf_get_strings`): leading NUL padding is
 * skipped, runs of NULs separate strings, and an unterminated last string still counts.
 */
export function parseModinfo(bytes: Uint8Array): ModInfo {
  const entries: ModInfoEntry[] = [];
  let i = 0;
  while (i < bytes.length) {
    if (bytes[i] === 0) {
      i++;
      continue;
    }
    let end = bytes.indexOf(0, i);
    if (end < 0) end = bytes.length;
    const s = utf8.decode(bytes.subarray(i, end));
    const eq = s.indexOf("=");
    entries.push(eq < 0 ? { key: s, value: "" } : { key: s.slice(0, eq), value: s.slice(eq + 1) });
    i = end;
  }
  return summarize(entries);
}

function summarize(entries: ModInfoEntry[]): ModInfo {
  const first = (k: string) => entries.find((e) => e.key === k)?.value;
  const all = (k: string) => entries.filter((e) => e.key === k).map((e) => e.value);
  const depends = first("depends");
  return {
    entries,
    name: first("name"),
    vermagic: first("vermagic"),
    srcversion: first("srcversion"),
    version: first("version"),
    license: first("license"),
    description: first("description"),
    author: all("author"),
    depends: depends ? depends.split(",") : [],
    intree: first("intree") === "Y",
    retpoline: first("retpoline") === "Y",
    alias: all("alias"),
    firmware: all("firmware"),
    softdep: all("softdep"),
    importNs: all("import_ns"),
    params: params(entries),
  };
}

/** Merges parm/parmtype by parameter name as kmod's modinfo does; entries without a `:` are ignored there too. */
function params(entries: ModInfoEntry[]): ModParam[] {
  const byName = new Map<string, ModParam>();
  for (const { key, value } of entries) {
    if (key !== "parm" && key !== "parmtype") continue;
    const colon = value.indexOf(":");
    if (colon < 0) continue;
    const name = value.slice(0, colon);
    let p = byName.get(name);
    if (p === undefined) {
      p = { name };
      byName.set(name, p);
    }
    if (key === "parm") p.description = value.slice(colon + 1);
    else p.type = value.slice(colon + 1);
  }
  return [...byName.values()];
}

/** Reads `.modinfo` from a kernel module (an uncompressed `.ko`); a module without one is a FormatError. */
export async function readModinfo(src: ByteSource): Promise<ModInfo> {
  return modinfoOf(await ElfFile.open(src));
}

/** `.modinfo` of a module already opened, for a caller that reads its other sections too. */
export async function modinfoOf(elf: ElfFile): Promise<ModInfo> {
  const s = elf.section(".modinfo");
  if (s === undefined) {
    throw new FormatError(elf.src.name, elf.header.shoff, "section header table", "a .modinfo section");
  }
  return parseModinfo(await elf.sectionData(s));
}
