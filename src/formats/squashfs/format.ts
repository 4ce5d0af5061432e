/**
 * SquashFS 4.0 on-disk constants and record shapes, shared by the reader and the writer
 * (kernel fs/squashfs/squashfs_fs.h, squashfs-tools squashfs_fs.h; reference FORMATS.md section 4).
 * Every integer on disk is little-endian and every structure is packed.
 *
 * The shapes hold decoded values: counts and name lengths that the disk stores minus one are held here as
 * the real count, and names as their raw bytes. Absolute positions and references are numbers: the format
 * keeps them under 2^48, well inside a safe integer.
 */

export const MAGIC = 0x73717368; // "hsqs" on disk
export const VERSION_MAJOR = 4;
export const VERSION_MINOR = 0;
export const SUPERBLOCK_SIZE = 96;

/** Byte offset of each superblock field. */
export const SUPERBLOCK_FIELD = {
  magic: 0x00, // u32
  inodeCount: 0x04, // u32
  mkfsTime: 0x08, // u32
  blockSize: 0x0c, // u32
  fragmentCount: 0x10, // u32
  compressor: 0x14, // u16
  blockLog: 0x16, // u16
  flags: 0x18, // u16
  idCount: 0x1a, // u16
  versionMajor: 0x1c, // u16
  versionMinor: 0x1e, // u16
  rootInode: 0x20, // u64 inode reference
  bytesUsed: 0x28, // u64
  idTableStart: 0x30, // u64
  xattrIdTableStart: 0x38, // u64
  inodeTableStart: 0x40, // u64
  directoryTableStart: 0x48, // u64
  fragmentTableStart: 0x50, // u64
  exportTableStart: 0x58, // u64
} as const;

/** The u64 a table pointer holds when the table is absent (all ones). */
export const NO_TABLE = 0xffff_ffff_ffff_ffffn;

/** Superblock flags (squashfs_fs.h SQUASHFS_NOI … SQUASHFS_NOID, as bit masks). */
export const Flag = {
  /** Inode table blocks stored uncompressed (-noI). */
  INODES_UNCOMPRESSED: 0x0001,
  /** Data blocks stored uncompressed (-noD). */
  DATA_UNCOMPRESSED: 0x0002,
  /** Unused since 4.0; kept so a flags word can be shown in full. */
  CHECK: 0x0004,
  /** Fragment blocks stored uncompressed (-noF). */
  FRAGMENTS_UNCOMPRESSED: 0x0008,
  /** No fragments at all (-no-fragments). */
  NO_FRAGMENTS: 0x0010,
  /** Tail ends of large files packed in fragments too (-always-use-fragments / -tailends). */
  ALWAYS_FRAGMENTS: 0x0020,
  /** Duplicate files stored once. */
  DUPLICATES: 0x0040,
  /** An export (NFS lookup) table is present. */
  EXPORTABLE: 0x0080,
  /** Xattr blocks stored uncompressed (-noX). */
  XATTRS_UNCOMPRESSED: 0x0100,
  /** No extended attributes (-no-xattrs). */
  NO_XATTRS: 0x0200,
  /** A compressor options block follows the superblock: the only flag that changes parsing. */
  COMPRESSOR_OPTIONS: 0x0400,
  /** Id table blocks stored uncompressed (-noId; mksquashfs's -noI does the same without setting this bit). */
  IDS_UNCOMPRESSED: 0x0800,
} as const;
export type FlagName = keyof typeof Flag;

/** Compressor ids (squashfs_fs.h; squashfs-tools-ng's format.adoc swaps 2 and 3). */
export const Compressor = { gzip: 1, lzma: 2, lzo: 3, xz: 4, lz4: 5, zstd: 6 } as const;
export type CompressorName = keyof typeof Compressor;
export type CompressorId = (typeof Compressor)[CompressorName];

/** Block sizes mksquashfs and the kernel accept: powers of two from 4 KiB to 1 MiB. */
export const MIN_BLOCK_SIZE = 4096;
export const MAX_BLOCK_SIZE = 1 << 20;

/** Metadata (inode, directory, lookup tables, xattrs): 8 KiB chunks behind a u16 header each. */
export const METADATA_SIZE = 8192;
export const METADATA_HEADER_SIZE = 2;
/** Header bit 15: the chunk is stored uncompressed; bits 0-14 are its stored length. */
export const METADATA_UNCOMPRESSED = 0x8000;
export const METADATA_LENGTH_MASK = 0x7fff;

/** Data and fragment block size words: bits 0-23 the stored size, bit 24 set when stored uncompressed. */
export const DATA_UNCOMPRESSED = 1 << 24;
export const DATA_SIZE_MASK = DATA_UNCOMPRESSED - 1;
/** A data block whose size word is 0 is sparse: all zeros, nothing on disk. */
export const SPARSE_BLOCK = 0;

export const INVALID_FRAGMENT = 0xffff_ffff;
export const INVALID_XATTR = 0xffff_ffff;

/** Lookup-table entry sizes; each table's blocks are indexed by a u64 array of their absolute positions. */
export const ID_ENTRY_SIZE = 4;
export const FRAGMENT_ENTRY_SIZE = 16;
export const EXPORT_ENTRY_SIZE = 8;
export const XATTR_ID_ENTRY_SIZE = 16;
export const XATTR_ID_TABLE_HEADER_SIZE = 16;
export const TABLE_INDEX_ENTRY_SIZE = 8;

/** Inode type numbers: 1-7 basic, 8-14 the extended form of the same kind (type + 7). */
export const InodeType = {
  DIR: 1,
  FILE: 2,
  SYMLINK: 3,
  BLOCK_DEVICE: 4,
  CHAR_DEVICE: 5,
  FIFO: 6,
  SOCKET: 7,
  EXT_DIR: 8,
  EXT_FILE: 9,
  EXT_SYMLINK: 10,
  EXT_BLOCK_DEVICE: 11,
  EXT_CHAR_DEVICE: 12,
  EXT_FIFO: 13,
  EXT_SOCKET: 14,
} as const;
export type InodeTypeNumber = (typeof InodeType)[keyof typeof InodeType];
export type BasicInodeType = 1 | 2 | 3 | 4 | 5 | 6 | 7;
/** Extended type = basic type + EXTENDED_TYPE_OFFSET. */
export const EXTENDED_TYPE_OFFSET = 7;

/** Inode sizes on disk: the common header, then each type's fixed part before its variable tail. */
export const INODE_HEADER_SIZE = 16;
export const INODE_BODY_SIZE: Readonly<Record<InodeTypeNumber, number>> = {
  1: 16, // start_block, nlink, u16 file_size, u16 offset, parent_inode
  2: 16, // blocks_start, fragment, frag_offset, file_size; then u32 block_sizes[]
  3: 8, // nlink, target_size; then the target
  4: 8, // nlink, rdev
  5: 8,
  6: 4, // nlink
  7: 4,
  8: 24, // nlink, file_size, start_block, parent_inode, u16 i_count, u16 offset, xattr; then the index
  9: 40, // u64 blocks_start, u64 file_size, u64 sparse, nlink, fragment, frag_offset, xattr; then block_sizes[]
  10: 8, // nlink, target_size; then the target, then u32 xattr
  11: 12, // nlink, rdev, xattr
  12: 12,
  13: 8, // nlink, xattr
  14: 8,
};
/** Permission bits only: the file type lives in the inode type. */
export const MODE_MASK = 0o7777;
/** Longest symlink target Linux allows (PATH_MAX), the bound a reader holds a target_size to. */
export const MAX_SYMLINK_TARGET = 4096;
/** A basic directory inode holds a u16 file_size; a larger listing needs the extended form. */
export const BASIC_DIR_MAX_FILE_SIZE = 0xffff;
/** A basic file inode holds u32 sizes and start; anything larger needs the extended form. */
export const BASIC_FILE_MAX = 0xffff_ffff;

/** Directory table. */
export const DIR_HEADER_SIZE = 12; // u32 count-1, u32 start_block, u32 inode_number base
export const DIR_ENTRY_SIZE = 8; // u16 offset, i16 inode delta, u16 basic type, u16 name_size-1; then the name
export const DIR_INDEX_SIZE = 12; // u32 index, u32 start_block, u32 name_size-1; then the name
export const DIR_MAX_ENTRIES = 256; // per header (SQUASHFS_DIR_COUNT)
export const DIR_MAX_NAME = 256; // SQUASHFS_NAME_LEN
export const DIR_MAX_INODE_DELTA = 32767; // an entry's i16 delta from its header's base
/** A directory inode's file_size is the listing's length plus 3 (room the kernel counts for "." and ".."). */
export const DIR_SIZE_EXTRA = 3;

/** Xattr key type: the low byte picks the name prefix, 0x100 marks a value stored out of line. */
export const XattrPrefix = { user: 0, trusted: 1, security: 2 } as const;
export const XATTR_PREFIXES: readonly string[] = ["user.", "trusted.", "security."];
export const XATTR_PREFIX_MASK = 0xff;
export const XATTR_VALUE_OUT_OF_LINE = 0x100;
/** An out-of-line value's inline part: a u64 reference (from the key/value area start) to {u32 size, bytes}. */
export const XATTR_OOL_REF_SIZE = 8;

/** Compressor option bits and values (squashfs-tools *_wrapper.h). */
export const GzipStrategy = { default: 1, filtered: 2, huffmanOnly: 4, runLengthEncoded: 8, fixed: 16 } as const;
export const XzFilter = {
  x86: 0x01,
  powerpc: 0x02,
  ia64: 0x04,
  arm: 0x08,
  armthumb: 0x10,
  sparc: 0x20,
  arm64: 0x40,
  riscv: 0x80,
} as const;
export const LZ4_LEGACY_VERSION = 1;
export const Lz4Flag = { HC: 1, NON_DEFAULT: 2 } as const;
export const LzoAlgorithm = { lzo1x_1: 0, lzo1x_1_11: 1, lzo1x_1_12: 2, lzo1x_1_15: 3, lzo1x_999: 4 } as const;

/** Compressor options, stored in one uncompressed metadata block after the superblock when flagged. */
export type CompressorOptions =
  | { readonly compressor: "gzip"; readonly level: number; readonly windowSize: number; readonly strategies: number }
  | { readonly compressor: "xz"; readonly dictionarySize: number; readonly filters: number }
  | {
      readonly compressor: "lz4";
      readonly version: number;
      readonly flags: number;
      /** Level or acceleration: only in the 12-byte form of squashfs-tools 4.7. */
      readonly data?: number;
    }
  | { readonly compressor: "zstd"; readonly level: number }
  | { readonly compressor: "lzo"; readonly algorithm: number; readonly level: number };
/** Options block byte length per compressor (lz4 also has a 12-byte form; lzma has none). */
export const COMPRESSOR_OPTIONS_SIZE = { gzip: 8, xz: 8, lz4: 8, zstd: 4, lzo: 8 } as const;

/** The 16 bytes every inode starts with; uid and gid are indexes into the id table. */
export interface InodeHeader {
  readonly type: InodeTypeNumber;
  readonly mode: number;
  readonly uidIndex: number;
  readonly gidIndex: number;
  readonly mtime: number;
  readonly inodeNumber: number;
}

/** One extended-directory index entry: where a run header at `index` bytes into the listing lies. */
export interface DirIndexEntry {
  readonly index: number;
  readonly startBlock: number;
  readonly name: Uint8Array;
}

export interface BasicDirInode extends InodeHeader {
  readonly type: 1;
  readonly startBlock: number;
  readonly nlink: number;
  readonly fileSize: number;
  readonly offset: number;
  readonly parentInode: number;
}
export interface ExtDirInode extends InodeHeader {
  readonly type: 8;
  readonly nlink: number;
  readonly fileSize: number;
  readonly startBlock: number;
  readonly parentInode: number;
  readonly offset: number;
  readonly xattr: number;
  readonly index: readonly DirIndexEntry[];
}
export interface BasicFileInode extends InodeHeader {
  readonly type: 2;
  readonly blocksStart: number;
  readonly fragment: number;
  readonly fragmentOffset: number;
  readonly fileSize: number;
  /** One size word per block (see DATA_UNCOMPRESSED, SPARSE_BLOCK). */
  readonly blockSizes: readonly number[];
}
export interface ExtFileInode extends InodeHeader {
  readonly type: 9;
  readonly blocksStart: number;
  readonly fileSize: number;
  /** Bytes saved by sparse blocks. */
  readonly sparse: number;
  readonly nlink: number;
  readonly fragment: number;
  readonly fragmentOffset: number;
  readonly xattr: number;
  readonly blockSizes: readonly number[];
}
export interface BasicSymlinkInode extends InodeHeader {
  readonly type: 3;
  readonly nlink: number;
  readonly target: Uint8Array;
}
export interface ExtSymlinkInode extends InodeHeader {
  readonly type: 10;
  readonly nlink: number;
  readonly target: Uint8Array;
  readonly xattr: number;
}
export interface BasicDeviceInode extends InodeHeader {
  readonly type: 4 | 5;
  readonly nlink: number;
  /** Encoded like the kernel's old_encode_dev/new_encode_dev: see `decodeRdev`. */
  readonly rdev: number;
}
export interface ExtDeviceInode extends InodeHeader {
  readonly type: 11 | 12;
  readonly nlink: number;
  readonly rdev: number;
  readonly xattr: number;
}
export interface BasicIpcInode extends InodeHeader {
  readonly type: 6 | 7;
  readonly nlink: number;
}
export interface ExtIpcInode extends InodeHeader {
  readonly type: 13 | 14;
  readonly nlink: number;
  readonly xattr: number;
}
export type DiskInode =
  | BasicDirInode
  | ExtDirInode
  | BasicFileInode
  | ExtFileInode
  | BasicSymlinkInode
  | ExtSymlinkInode
  | BasicDeviceInode
  | ExtDeviceInode
  | BasicIpcInode
  | ExtIpcInode;

/** A run of directory entries whose inodes share one inode-table block. */
export interface DirHeader {
  /** Entries in the run, 1 … DIR_MAX_ENTRIES (stored minus one). */
  readonly count: number;
  /** The inode-table block (relative to the table start) holding the entries' inodes. */
  readonly startBlock: number;
  readonly inodeBase: number;
}
export interface DirEntry {
  /** The inode's offset inside its header's inode block. */
  readonly offset: number;
  /** Inode number minus the header's base, −32768 … 32767. */
  readonly inodeDelta: number;
  /** Always a basic type (1-7), even when the inode itself is extended. */
  readonly type: BasicInodeType;
  /** 1 … DIR_MAX_NAME bytes (stored length minus one); no "/", no "." or "..". */
  readonly name: Uint8Array;
}

export interface FragmentEntry {
  readonly start: number;
  /** Size word: DATA_SIZE_MASK bits of stored size, DATA_UNCOMPRESSED when stored as is. */
  readonly size: number;
}

/** Header at xattr_id_table_start, followed by the u64 positions of the xattr-id blocks. */
export interface XattrTableHeader {
  readonly kvStart: number;
  readonly count: number;
}
export interface XattrId {
  /** Reference (block << 16 | offset) into the key/value area, relative to kvStart. */
  readonly ref: number;
  readonly count: number;
  /** Σ(full name length + 1 + value size): what listxattr plus the values need, not the on-disk bytes. */
  readonly size: number;
}
/** One key/value pair as stored: prefix id (| XATTR_VALUE_OUT_OF_LINE), name without prefix, value. */
export interface XattrEntry {
  readonly type: number;
  readonly name: Uint8Array;
  /** The value, or for an out-of-line entry the 8-byte reference to it. */
  readonly value: Uint8Array;
}

/** A reference to a record in a metadata table: block position (from the table start) << 16 | offset. */
export const metadataRef = (block: number, offset: number): number => block * 0x10000 + offset;
export const refBlock = (ref: number): number => Math.floor(ref / 0x10000);
export const refOffset = (ref: number): number => ref % 0x10000;

/** Blocks in a file's block list: the tail goes to a fragment unless there is none. */
export const fileBlockCount = (fileSize: number, blockSize: number, fragment: number): number =>
  fragment === INVALID_FRAGMENT ? Math.ceil(fileSize / blockSize) : Math.floor(fileSize / blockSize);

/** Lookup-table index length: one u64 per metadata block of entries. */
export const tableIndexCount = (entries: number, entrySize: number): number =>
  Math.ceil((entries * entrySize) / METADATA_SIZE);

/** The kernel's device number encoding (new_encode_dev): 12-bit major, 20-bit minor split around it. */
export const decodeRdev = (rdev: number): { major: number; minor: number } => ({
  major: (rdev >>> 8) & 0xfff,
  minor: (rdev & 0xff) | ((rdev >>> 12) & 0xfff00),
});
export const encodeRdev = (major: number, minor: number): number =>
  ((minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12)) >>> 0;
