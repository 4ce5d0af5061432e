import { FormatError } from "../../io/errors.js";
import type { ByteSource } from "../../io/source.js";
import {
  Compressor,
  type CompressorName,
  type CompressorOptions,
  SUPERBLOCK_FIELD as F,
  Flag,
  type FlagName,
  MAGIC,
  MAX_BLOCK_SIZE,
  METADATA_HEADER_SIZE,
  METADATA_LENGTH_MASK,
  METADATA_SIZE,
  METADATA_UNCOMPRESSED,
  MIN_BLOCK_SIZE,
  NO_TABLE,
  SUPERBLOCK_SIZE,
  VERSION_MAJOR,
  VERSION_MINOR,
} from "./format.js";

/** The superblock. Absent tables (all-ones on disk) are undefined. */
export interface Superblock {
  readonly inodeCount: number;
  readonly mkfsTime: number;
  readonly blockSize: number;
  readonly fragmentCount: number;
  readonly compressor: CompressorName;
  readonly blockLog: number;
  readonly flags: number;
  readonly idCount: number;
  readonly versionMajor: number;
  readonly versionMinor: number;
  readonly rootInode: number;
  readonly bytesUsed: number;
  readonly idTableStart: number;
  readonly xattrIdTableStart: number | undefined;
  readonly inodeTableStart: number;
  readonly directoryTableStart: number;
  readonly fragmentTableStart: number | undefined;
  readonly exportTableStart: number | undefined;
}

const NAMES = new Map<number, CompressorName>(
  Object.entries(Compressor).map(([name, id]) => [id, name as CompressorName]),
);

/** The names of the flags set in a superblock flags word, in bit order. */
export function flagNames(flags: number): FlagName[] {
  return (Object.entries(Flag) as [FlagName, number][]).filter(([, bit]) => flags & bit).map(([name]) => name);
}

/**
 * The 96-byte superblock, checked as the kernel's squashfs_fill_super checks it (magic, version, compressor,
 * block size and log, bytes_used, id count, root inode offset) plus the table order every reader relies on.
 */
export async function readSuperblock(src: ByteSource): Promise<Superblock> {
  if (src.size < SUPERBLOCK_SIZE) {
    throw new FormatError(src.name, 0, "squashfs superblock", `${SUPERBLOCK_SIZE} bytes`, `${src.size}`);
  }
  const b = await src.read(0, SUPERBLOCK_SIZE, "squashfs superblock");
  const v = new DataView(b.buffer, b.byteOffset, SUPERBLOCK_SIZE);
  const u16 = (o: number) => v.getUint16(o, true);
  const u32 = (o: number) => v.getUint32(o, true);
  const bad = (o: number, field: string, expected: string, found: string | number) =>
    new FormatError(src.name, o, `squashfs superblock ${field}`, expected, String(found));
  /** A u64 position: inside the image, or absent (all ones) where the table is optional. */
  const pos = (o: number, field: string, optional: boolean): number | undefined => {
    const raw = v.getBigUint64(o, true);
    if (optional && raw === NO_TABLE) return undefined;
    if (raw > BigInt(src.size)) throw bad(o, field, `a position inside the ${src.size}-byte image`, `${raw}`);
    return Number(raw);
  };

  if (u32(F.magic) !== MAGIC) throw bad(F.magic, "magic", "hsqs (0x73717368)", `0x${u32(F.magic).toString(16)}`);
  if (u16(F.versionMajor) !== VERSION_MAJOR || u16(F.versionMinor) !== VERSION_MINOR) {
    throw bad(F.versionMajor, "version", "4.0", `${u16(F.versionMajor)}.${u16(F.versionMinor)}`);
  }
  const compressor = NAMES.get(u16(F.compressor));
  if (compressor === undefined) throw bad(F.compressor, "compression", "a compressor id 1 to 6", u16(F.compressor));
  const blockSize = u32(F.blockSize);
  if (blockSize < MIN_BLOCK_SIZE || blockSize > MAX_BLOCK_SIZE || (blockSize & (blockSize - 1)) !== 0) {
    throw bad(F.blockSize, "block_size", "a power of two from 4 KiB to 1 MiB", blockSize);
  }
  if (1 << u16(F.blockLog) !== blockSize) throw bad(F.blockLog, "block_log", `log2(${blockSize})`, u16(F.blockLog));
  if (u16(F.idCount) === 0) throw bad(F.idCount, "no_ids", "at least one id", 0);
  if (u32(F.inodeCount) === 0) throw bad(F.inodeCount, "inodes", "at least the root inode", 0);

  const bytesUsed = pos(F.bytesUsed, "bytes_used", false) as number;
  const at = (o: number, field: string) => pos(o, field, false) as number;
  const sb: Superblock = {
    inodeCount: u32(F.inodeCount),
    mkfsTime: u32(F.mkfsTime),
    blockSize,
    fragmentCount: u32(F.fragmentCount),
    compressor,
    blockLog: u16(F.blockLog),
    flags: u16(F.flags),
    idCount: u16(F.idCount),
    versionMajor: VERSION_MAJOR,
    versionMinor: VERSION_MINOR,
    rootInode: Number(v.getBigUint64(F.rootInode, true) & 0xffff_ffff_ffffn),
    bytesUsed,
    idTableStart: at(F.idTableStart, "id_table_start"),
    xattrIdTableStart: pos(F.xattrIdTableStart, "xattr_id_table_start", true),
    inodeTableStart: at(F.inodeTableStart, "inode_table_start"),
    directoryTableStart: at(F.directoryTableStart, "directory_table_start"),
    fragmentTableStart: pos(F.fragmentTableStart, "fragment_table_start", true),
    exportTableStart: pos(F.exportTableStart, "lookup_table_start", true),
  };
  const rootRef = v.getBigUint64(F.rootInode, true);
  if (rootRef > 0xffff_ffff_ffffn || sb.rootInode % 0x10000 >= METADATA_SIZE) {
    throw bad(F.rootInode, "root_inode", "a reference with an offset below 8192", `${rootRef}`);
  }
  // What the kernel relies on: the inode table, then the directory table, then every lookup table.
  if (sb.inodeTableStart < SUPERBLOCK_SIZE || sb.directoryTableStart <= sb.inodeTableStart) {
    throw bad(
      F.directoryTableStart,
      "directory_table_start",
      `a position after the inode table at ${sb.inodeTableStart}`,
      sb.directoryTableStart,
    );
  }
  const tables: [number, string, number | undefined][] = [
    [F.fragmentTableStart, "fragment_table_start", sb.fragmentTableStart],
    [F.exportTableStart, "lookup_table_start", sb.exportTableStart],
    [F.idTableStart, "id_table_start", sb.idTableStart],
    [F.xattrIdTableStart, "xattr_id_table_start", sb.xattrIdTableStart],
  ];
  for (const [o, field, value] of tables) {
    if (value !== undefined && (value <= sb.directoryTableStart || value > bytesUsed)) {
      throw bad(
        o,
        field,
        `a position after the directory table at ${sb.directoryTableStart}, within bytes_used ${bytesUsed}`,
        value,
      );
    }
  }
  if (sb.fragmentCount > 0 && sb.fragmentTableStart === undefined) {
    throw bad(F.fragmentTableStart, "fragment_table_start", `a table for ${sb.fragmentCount} fragments`, "none");
  }
  return sb;
}

/**
 * The compressor options block that follows the superblock when flag COMPRESSOR_OPTIONS is set: one
 * metadata block (mksquashfs stores it uncompressed) whose length decides the layout.
 */
export async function readCompressorOptions(
  src: ByteSource,
  sb: Superblock,
  decode: (bytes: Uint8Array, at: number) => Uint8Array,
): Promise<CompressorOptions | undefined> {
  if (!(sb.flags & Flag.COMPRESSOR_OPTIONS)) return undefined;
  const at = SUPERBLOCK_SIZE;
  const what = "squashfs compressor options";
  const h = await src.read(at, 2, what);
  const word = new DataView(h.buffer, h.byteOffset, 2).getUint16(0, true);
  const stored = word & METADATA_LENGTH_MASK;
  if (stored === 0 || at + 2 + stored > sb.inodeTableStart) {
    throw new FormatError(
      src.name,
      at,
      what,
      `a block ending before the inode table at ${sb.inodeTableStart}`,
      `${stored} bytes`,
    );
  }
  const raw = await src.read(at + 2, stored, what);
  const b = word & METADATA_UNCOMPRESSED ? raw : decode(raw, at);
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  const need = (...sizes: number[]) => {
    if (!sizes.includes(b.length)) {
      throw new FormatError(src.name, at, `${what} (${sb.compressor})`, `${sizes.join(" or ")} bytes`, `${b.length}`);
    }
  };
  const u32 = (o: number) => v.getUint32(o, true);
  switch (sb.compressor) {
    case "gzip":
      need(8);
      return { compressor: "gzip", level: u32(0), windowSize: v.getUint16(4, true), strategies: v.getUint16(6, true) };
    case "xz":
      need(8);
      return { compressor: "xz", dictionarySize: u32(0), filters: u32(4) };
    case "lz4":
      need(8, 12);
      return { compressor: "lz4", version: u32(0), flags: u32(4), ...(b.length === 12 ? { data: u32(8) } : {}) };
    case "zstd":
      need(4);
      return { compressor: "zstd", level: u32(0) };
    case "lzo":
      need(8);
      return { compressor: "lzo", algorithm: u32(0), level: u32(4) };
    case "lzma":
      throw new FormatError(src.name, at, what, "no options for lzma", `${b.length} bytes`);
  }
}

/** The superblock's 96 bytes; an absent table is stored as all ones. */
export function encodeSuperblock(sb: Superblock): Uint8Array {
  const b = Buffer.alloc(SUPERBLOCK_SIZE);
  const table = (v: number | undefined) => (v === undefined ? NO_TABLE : BigInt(v));
  b.writeUInt32LE(MAGIC, F.magic);
  b.writeUInt32LE(sb.inodeCount, F.inodeCount);
  b.writeUInt32LE(sb.mkfsTime, F.mkfsTime);
  b.writeUInt32LE(sb.blockSize, F.blockSize);
  b.writeUInt32LE(sb.fragmentCount, F.fragmentCount);
  b.writeUInt16LE(Compressor[sb.compressor], F.compressor);
  b.writeUInt16LE(sb.blockLog, F.blockLog);
  b.writeUInt16LE(sb.flags, F.flags);
  b.writeUInt16LE(sb.idCount, F.idCount);
  b.writeUInt16LE(sb.versionMajor, F.versionMajor);
  b.writeUInt16LE(sb.versionMinor, F.versionMinor);
  b.writeBigUInt64LE(BigInt(sb.rootInode), F.rootInode);
  b.writeBigUInt64LE(BigInt(sb.bytesUsed), F.bytesUsed);
  b.writeBigUInt64LE(BigInt(sb.idTableStart), F.idTableStart);
  b.writeBigUInt64LE(table(sb.xattrIdTableStart), F.xattrIdTableStart);
  b.writeBigUInt64LE(BigInt(sb.inodeTableStart), F.inodeTableStart);
  b.writeBigUInt64LE(BigInt(sb.directoryTableStart), F.directoryTableStart);
  b.writeBigUInt64LE(table(sb.fragmentTableStart), F.fragmentTableStart);
  b.writeBigUInt64LE(table(sb.exportTableStart), F.exportTableStart);
  return b;
}

/** A compressor options block as it follows the superblock: one metadata block, stored uncompressed. */
export function encodeCompressorOptions(options: Uint8Array): Uint8Array {
  const header = Buffer.alloc(METADATA_HEADER_SIZE);
  header.writeUInt16LE(options.length | METADATA_UNCOMPRESSED, 0);
  return Buffer.concat([header, options]);
}
