import { FormatError } from "../../io/errors.js";
import type { ByteSource } from "../../io/source.js";
import { cString, EndianReader, toSafe } from "./endian.js";
import { ElfFile } from "./file.js";
import { PT_DYNAMIC, PT_LOAD } from "./tables.js";

/** What the dynamic section of a shared object names. */
export interface DynamicInfo {
  soname?: string;
  /** DT_NEEDED entries in order. */
  needed: string[];
  rpath?: string;
  runpath?: string;
}

const DT_NULL = 0n;
const DT_NEEDED = 1n;
const DT_STRTAB = 5n;
const DT_STRSZ = 10n;
const DT_SONAME = 14n;
const DT_RPATH = 15n;
const DT_RUNPATH = 29n;

/**
 * Reads the dynamic section through PT_DYNAMIC and finds its string table by DT_STRTAB's address mapped through
 * the PT_LOAD that contains it, as the dynamic loader and ldconfig do; section headers are not needed, so this
 * works on stripped libraries. Returns undefined for an object without PT_DYNAMIC (e.g. a static executable).
 */
export async function readDynamic(elf: ElfFile): Promise<DynamicInfo | undefined> {
  const { src, header } = elf;
  const dyn = elf.segments.find((p) => p.type === PT_DYNAMIC);
  if (dyn === undefined) return undefined;
  const is64 = header.bits === 64;
  const entsize = is64 ? 16 : 8;
  const r = new EndianReader(await elf.segmentData(dyn), header.littleEndian);
  const entries: { tag: bigint; value: bigint; at: number }[] = [];
  for (let at = 0; at + entsize <= r.bytes.length; at += entsize) {
    const tag = r.word(at, is64);
    if (tag === DT_NULL) break;
    entries.push({ tag, value: r.word(at + entsize / 2, is64), at: dyn.offset + at });
  }
  const strtab = entries.find((e) => e.tag === DT_STRTAB);
  const info: DynamicInfo = { needed: [] };
  if (strtab === undefined) {
    if (entries.some((e) => e.tag === DT_NEEDED || e.tag === DT_SONAME || e.tag === DT_RPATH || e.tag === DT_RUNPATH)) {
      throw new FormatError(src.name, dyn.offset, "dynamic section", "a DT_STRTAB entry for its names");
    }
    return info;
  }
  const load = elf.segments.find(
    (p) => p.type === PT_LOAD && strtab.value >= p.vaddr && strtab.value - p.vaddr < BigInt(p.filesz),
  );
  if (load === undefined) {
    throw new FormatError(
      src.name,
      strtab.at,
      "DT_STRTAB",
      "an address inside a PT_LOAD segment",
      `0x${strtab.value.toString(16)}`,
    );
  }
  const offset = load.offset + Number(strtab.value - load.vaddr);
  const strsz = entries.find((e) => e.tag === DT_STRSZ);
  const length =
    strsz === undefined ? load.offset + load.filesz - offset : toSafe(strsz.value, src.name, strsz.at, "DT_STRSZ");
  if (offset + length > src.size) {
    throw new FormatError(src.name, offset, "dynamic string table", `${length} bytes`, `end of input at ${src.size}`);
  }
  const table = await src.read(offset, length, "dynamic string table");
  const str = (e: { value: bigint; at: number }, what: string) =>
    cString(table, toSafe(e.value, src.name, e.at, what), src.name, offset, what);
  for (const e of entries) {
    if (e.tag === DT_NEEDED) info.needed.push(str(e, "DT_NEEDED"));
    else if (e.tag === DT_SONAME) info.soname ??= str(e, "DT_SONAME");
    else if (e.tag === DT_RPATH) info.rpath ??= str(e, "DT_RPATH");
    else if (e.tag === DT_RUNPATH) info.runpath ??= str(e, "DT_RUNPATH");
  }
  return info;
}

/** Opens a shared object and reads its dynamic section. */
export async function readDynamicInfo(src: ByteSource): Promise<DynamicInfo | undefined> {
  return readDynamic(await ElfFile.open(src));
}
