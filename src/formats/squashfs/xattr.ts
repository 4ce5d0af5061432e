import { FormatError, LimitError } from "../../io/errors.js";
import type { ByteSource } from "../../io/source.js";
import {
  XATTR_ID_ENTRY_SIZE,
  XATTR_ID_TABLE_HEADER_SIZE,
  XATTR_OOL_REF_SIZE,
  XATTR_PREFIX_MASK,
  XATTR_PREFIXES,
  XATTR_VALUE_OUT_OF_LINE,
  type XattrId,
  type XattrTableHeader,
} from "./format.js";
import { LookupTable } from "./lookup-table.js";
import type { MetadataCache, Region } from "./metadata.js";
import type { Superblock } from "./superblock.js";
import { WriteInputError } from "./write-tree.js";

/** Linux's limits (include/uapi/linux/limits.h): a name of 255 bytes, a value of 64 KiB, 64 KiB of names. */
const XATTR_NAME_MAX = 255;
const XATTR_SIZE_MAX = 65536;
const XATTR_LIST_MAX = 65536;

const utf8 = new TextDecoder();

/** The header at xattr_id_table_start: u64 kv_start, u32 count, u32 unused. */
const HEADER = { kvStart: 0, count: 8 } as const;
/** An id entry: u64 ref, u32 count, u32 size. */
const ID = { ref: 0, count: 8, size: 12 } as const;
/** A pair's key: u16 type, u16 name size; then the name, a u32 value size and the value. */
const KEY = { type: 0, nameSize: 2 } as const;
const KEY_SIZE = 4;

/**
 * Extended attributes: a header {u64 kv_start, u32 count, u32 unused} at xattr_id_table_start, the u64
 * positions of the xattr-id blocks after it, and the key/value area from kv_start up to the first id block.
 * An inode's xattr index picks an id entry {u64 ref, u32 count, u32 size}; `size` is what listxattr plus the
 * values take, not the bytes on disk, so the pairs are read by count.
 */
export class XattrTable {
  private constructor(
    private readonly src: ByteSource,
    private readonly cache: MetadataCache,
    private readonly ids: LookupTable,
    readonly kv: Region,
  ) {}

  static async open(src: ByteSource, cache: MetadataCache, sb: Superblock): Promise<XattrTable | undefined> {
    const at = sb.xattrIdTableStart;
    if (at === undefined) return undefined;
    const what = "xattr id table header";
    if (at + XATTR_ID_TABLE_HEADER_SIZE > sb.bytesUsed) {
      throw new FormatError(
        src.name,
        at,
        what,
        `${XATTR_ID_TABLE_HEADER_SIZE} bytes within bytes_used`,
        `${sb.bytesUsed - at}`,
      );
    }
    const h = await src.read(at, XATTR_ID_TABLE_HEADER_SIZE, what);
    const v = new DataView(h.buffer, h.byteOffset, h.length);
    const kvStart = v.getBigUint64(HEADER.kvStart, true);
    if (kvStart <= BigInt(sb.directoryTableStart) || kvStart >= BigInt(at)) {
      throw new FormatError(
        src.name,
        at,
        `${what} kv_start`,
        `a position from ${sb.directoryTableStart} to ${at}`,
        `${kvStart}`,
      );
    }
    const start = Number(kvStart);
    const ids = await LookupTable.open(
      src,
      cache,
      "xattr id table",
      at + XATTR_ID_TABLE_HEADER_SIZE,
      v.getUint32(HEADER.count, true),
      XATTR_ID_ENTRY_SIZE,
      start,
    );
    return new XattrTable(src, cache, ids, { name: "xattr key/value area", start, end: ids.firstBlock ?? at });
  }

  /** Id entry `index`: where the pairs are and how many. */
  async id(index: number): Promise<XattrId> {
    const v = await this.ids.entry(index);
    const ref = v.getBigUint64(ID.ref, true);
    if (ref > 0xffff_ffff_ffffn) {
      throw new FormatError(this.src.name, this.kv.end, `xattr id ${index}`, "a 48-bit reference", `${ref}`);
    }
    return { ref: Number(ref), count: v.getUint32(ID.count, true), size: v.getUint32(ID.size, true) };
  }

  /** The attributes of xattr id `index`, full name (with its prefix) to value, in stored order. */
  async read(index: number): Promise<Map<string, Uint8Array>> {
    const id = await this.id(index);
    if (id.count > XATTR_LIST_MAX / 2)
      throw new LimitError(this.src.name, this.kv.start, `xattr id ${index} pairs`, XATTR_LIST_MAX / 2, id.count);
    const c = this.cache.cursor(this.kv, id.ref, `xattrs of id ${index}`);
    const out = new Map<string, Uint8Array>();
    for (let i = 0; i < id.count; i++) {
      const k = await c.view(KEY_SIZE);
      const type = k.getUint16(KEY.type, true);
      const nameSize = k.getUint16(KEY.nameSize, true);
      const prefix = XATTR_PREFIXES[type & XATTR_PREFIX_MASK];
      if (prefix === undefined || (type & ~(XATTR_PREFIX_MASK | XATTR_VALUE_OUT_OF_LINE)) !== 0) {
        throw c.error(
          "an xattr type of user (0), trusted (1) or security (2), | 0x100 out of line",
          `0x${type.toString(16)}`,
        );
      }
      if (nameSize + prefix.length > XATTR_NAME_MAX)
        throw c.error(`a name of at most ${XATTR_NAME_MAX} bytes`, `${nameSize}`);
      const name = prefix + utf8.decode(await c.bytes(nameSize));
      const size = await c.u32();
      if (type & XATTR_VALUE_OUT_OF_LINE) {
        if (size !== XATTR_OOL_REF_SIZE)
          throw c.error(`an out-of-line reference of ${XATTR_OOL_REF_SIZE} bytes`, `${size}`);
        const ref = (await c.view(8)).getBigUint64(0, true);
        if (ref > 0xffff_ffff_ffffn) throw c.error("a 48-bit value reference", `${ref}`);
        const vc = this.cache.cursor(this.kv, Number(ref), `out-of-line value of ${name}`);
        const n = await vc.u32();
        if (n > XATTR_SIZE_MAX) throw vc.error(`a value of at most ${XATTR_SIZE_MAX} bytes`, `${n}`);
        out.set(name, (await vc.bytes(n)).slice());
      } else {
        if (size > XATTR_SIZE_MAX) throw c.error(`a value of at most ${XATTR_SIZE_MAX} bytes`, `${size}`);
        out.set(name, (await c.bytes(size)).slice());
      }
    }
    return out;
  }
}

/**
 * An inode's attributes as SquashFS stores them: sorted by full name, the prefix as a type id, the rest of
 * the name, the value inline. `key` tells equal sets apart, so they share one id entry.
 */
export function encodeXattrPairs(
  source: string,
  path: string,
  xattrs: ReadonlyMap<string, Uint8Array>,
): { key: string; bytes: Uint8Array; id: Omit<XattrId, "ref"> } {
  const names = [...xattrs.keys()].sort();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (const full of names) {
    const type = XATTR_PREFIXES.findIndex((p) => full.startsWith(p) && full.length > p.length);
    if (type < 0)
      throw new WriteInputError(source, path, `xattr ${full}: SquashFS stores user., trusted. and security. only`);
    const name = Buffer.from(full.slice((XATTR_PREFIXES[type] as string).length));
    const value = xattrs.get(full) as Uint8Array;
    const k = Buffer.alloc(KEY_SIZE);
    k.writeUInt16LE(type, KEY.type);
    k.writeUInt16LE(name.length, KEY.nameSize);
    const v = Buffer.alloc(4);
    v.writeUInt32LE(value.length, 0);
    parts.push(k, name, v, value);
    size += Buffer.byteLength(full) + 1 + value.length;
  }
  const bytes = Buffer.concat(parts);
  return { key: bytes.toString("base64"), bytes, id: { count: names.length, size } };
}

/** The xattr id table's entries, in id order. */
export function encodeXattrIds(ids: readonly XattrId[]): Uint8Array {
  const b = Buffer.alloc(ids.length * XATTR_ID_ENTRY_SIZE);
  for (const [i, x] of ids.entries()) {
    const at = i * XATTR_ID_ENTRY_SIZE;
    b.writeBigUInt64LE(BigInt(x.ref), at + ID.ref);
    b.writeUInt32LE(x.count, at + ID.count);
    b.writeUInt32LE(x.size, at + ID.size);
  }
  return b;
}

/** The header the superblock's xattr_id_table_start points at; the id blocks' index follows it. */
export function encodeXattrTableHeader(h: XattrTableHeader): Uint8Array {
  const b = Buffer.alloc(XATTR_ID_TABLE_HEADER_SIZE);
  b.writeBigUInt64LE(BigInt(h.kvStart), HEADER.kvStart);
  b.writeUInt32LE(h.count, HEADER.count);
  return b;
}
