import type { EntryType } from "../../io/entry.js";
import {
  type BasicDirInode,
  type BasicInodeType,
  DIR_ENTRY_SIZE,
  DIR_HEADER_SIZE,
  DIR_MAX_ENTRIES,
  DIR_MAX_INODE_DELTA,
  DIR_MAX_NAME,
  DIR_SIZE_EXTRA,
  type ExtDirInode,
  METADATA_SIZE,
  metadataRef,
  refBlock,
  refOffset,
} from "./format.js";
import { BASIC_TYPE } from "./inode.js";
import type { MetadataCache, Region } from "./metadata.js";
import type { Superblock } from "./superblock.js";

/** A run header's fields: u32 count − 1, u32 inode-table start_block, i32 inode number base. */
const RUN = { count: 0, startBlock: 4, inodeBase: 8 } as const;
/** An entry's fields: u16 offset, i16 inode delta from the base, u16 basic type, u16 name_size − 1; then the name. */
const ENTRY = { offset: 0, inodeDelta: 2, type: 4, nameSize: 6 } as const;

/** One name in a directory listing, with where its inode is. */
export interface DirectoryEntry {
  readonly name: string;
  readonly rawName: Uint8Array;
  /** Inode reference: the run header's inode block << 16 | the entry's offset. */
  readonly ref: number;
  readonly inodeNumber: number;
  /** The basic type the listing records; the inode itself may be the extended form. */
  readonly type: BasicInodeType;
}

export type DirInode = BasicDirInode | ExtDirInode;

/** An entry as parsed, its name still a view into the cached block. */
type RawEntry = Omit<DirectoryEntry, "name">;

const utf8 = new TextDecoder();
// A literal first, not a spread of `e`: V8 gives each object that begins with a spread a map of its own.
const entry = (e: RawEntry): DirectoryEntry => ({ name: utf8.decode(e.rawName), ...e, rawName: e.rawName.slice() });

/** Byte-wise comparison, the order mksquashfs sorts names in and the kernel's lookup relies on. */
export function compareNames(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return a.length - b.length;
}

/** Reads one directory's listing: runs of a 12-byte header and up to 256 entries, `fileSize − 3` bytes in all. */
export class DirectoryReader {
  constructor(
    private readonly cache: MetadataCache,
    private readonly sb: Superblock,
    /** The directory table: from directory_table_start to the first table after it. */
    readonly region: Region,
  ) {}

  /**
   * Visits the entries from the listing start, or from byte `from` of the listing in the metadata block
   * `fromBlock` (a directory index position), until `visit` returns true. Names are views into the cached
   * blocks; records are parsed from the block at hand without waiting whenever they lie inside it.
   */
  private async scan(dir: DirInode, from: number, fromBlock: number, visit: (e: RawEntry) => boolean): Promise<void> {
    const offset = from === 0 ? dir.offset : (dir.offset + from) % METADATA_SIZE;
    const c = this.cache.cursor(this.region, metadataRef(fromBlock, offset), "directory listing");
    if (dir.offset >= METADATA_SIZE) throw c.error("a listing offset below 8192", `${dir.offset}`);
    if (dir.fileSize < DIR_SIZE_EXTRA)
      throw c.error(`a directory size of at least ${DIR_SIZE_EXTRA}`, `${dir.fileSize}`);
    const size = dir.fileSize - DIR_SIZE_EXTRA;
    const inodeBlocks = this.sb.directoryTableStart - this.sb.inodeTableStart;
    const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.length);
    let pos = from;
    while (pos < size) {
      if (pos + DIR_HEADER_SIZE > size) {
        throw c.error(`a run header within the ${size}-byte listing`, `${size - pos} bytes left`);
      }
      const h = view(c.take(DIR_HEADER_SIZE) ?? (await c.bytes(DIR_HEADER_SIZE)));
      pos += DIR_HEADER_SIZE;
      const count = h.getUint32(RUN.count, true) + 1;
      const block = h.getUint32(RUN.startBlock, true);
      const base = h.getInt32(RUN.inodeBase, true);
      if (count > DIR_MAX_ENTRIES) throw c.error(`a run of at most ${DIR_MAX_ENTRIES} entries`, `${count}`);
      if (block >= inodeBlocks) throw c.error(`an inode block below ${inodeBlocks}`, `${block}`);
      for (let i = 0; i < count; i++) {
        if (pos + DIR_ENTRY_SIZE > size) {
          throw c.error(`an entry within the ${size}-byte listing`, `${size - pos} bytes left`);
        }
        const e = view(c.take(DIR_ENTRY_SIZE) ?? (await c.bytes(DIR_ENTRY_SIZE)));
        const off = e.getUint16(ENTRY.offset, true);
        const inodeNumber = base + e.getInt16(ENTRY.inodeDelta, true);
        const type = e.getUint16(ENTRY.type, true);
        const nameSize = e.getUint16(ENTRY.nameSize, true) + 1;
        pos += DIR_ENTRY_SIZE + nameSize;
        if (pos > size) throw c.error(`a name within the ${size}-byte listing`, `${nameSize} bytes`);
        if (off >= METADATA_SIZE) throw c.error("an inode offset below 8192", `${off}`);
        if (type < 1 || type > 7) throw c.error("an entry type from 1 to 7", `${type}`);
        if (inodeNumber < 1 || inodeNumber > this.sb.inodeCount) {
          throw c.error(`an inode number from 1 to ${this.sb.inodeCount}`, `${inodeNumber}`);
        }
        if (nameSize > DIR_MAX_NAME) throw c.error(`a name of at most ${DIR_MAX_NAME} bytes`, `${nameSize}`);
        const rawName = c.take(nameSize) ?? (await c.bytes(nameSize));
        if (
          rawName.includes(0x2f) ||
          rawName.includes(0) ||
          (rawName[0] === 0x2e && nameSize <= 2 && rawName[nameSize - 1] === 0x2e)
        ) {
          throw c.error("a file name without / or NUL, not . or ..", JSON.stringify(utf8.decode(rawName)));
        }
        if (visit({ rawName, ref: metadataRef(block, off), inodeNumber, type: type as BasicInodeType })) return;
      }
    }
  }

  /** Every entry, in stored (sorted) order. */
  async list(dir: DirInode): Promise<DirectoryEntry[]> {
    const out: DirectoryEntry[] = [];
    await this.scan(dir, 0, dir.startBlock, (e) => {
      out.push(entry(e));
      return false;
    });
    return out;
  }

  /**
   * One name, as the kernel finds it: the extended directory's index names the first entry of each metadata
   * block of the listing, so the scan starts in the last block whose first name is not past the wanted one,
   * and stops at the first name past it.
   */
  async lookup(dir: DirInode, name: Uint8Array): Promise<DirectoryEntry | undefined> {
    let from = 0;
    let fromBlock = dir.startBlock;
    if (dir.type === 8) {
      for (const ix of dir.index) {
        // Stop at the first block starting past the name, or at an index that does not move forward.
        if (compareNames(ix.name, name) > 0 || (from !== 0 && ix.index <= from)) break;
        from = ix.index;
        fromBlock = ix.startBlock;
      }
    }
    let found: DirectoryEntry | undefined;
    await this.scan(dir, from, fromBlock, (e) => {
      const order = compareNames(e.rawName, name);
      if (order === 0) found = entry(e);
      return order >= 0;
    });
    return found;
  }
}

export interface ListedChild {
  readonly name: Uint8Array;
  /** Inode reference in the inode table. */
  readonly ref: number;
  readonly number: number;
  readonly type: EntryType;
}

/** One run of a listing: its header and entries, and the name it starts with (what an index entry names). */
export interface ListingRun {
  readonly bytes: Uint8Array;
  readonly firstName: Uint8Array;
}

/**
 * A directory's listing: runs of up to 256 entries whose inodes share one inode-table block and whose numbers
 * lie within an i16 of the run's first. As mksquashfs does, a run also ends where the next entry would start in
 * another metadata block, so that every block of the listing starts a run an index entry can point at.
 * `children` are sorted by name already; `offset` is where the listing starts in its first metadata block.
 */
export function encodeListing(children: readonly ListedChild[], offset: number): ListingRun[] {
  const runs: ListingRun[] = [];
  let at = offset;
  let i = 0;
  while (i < children.length) {
    const first = children[i] as ListedChild;
    const block = refBlock(first.ref);
    const metadataBlock = Math.floor(at / METADATA_SIZE);
    at += DIR_HEADER_SIZE;
    const entries: Buffer[] = [];
    for (const c of children.slice(i)) {
      const n = entries.length;
      if (n === DIR_MAX_ENTRIES || refBlock(c.ref) !== block || Math.abs(c.number - first.number) > DIR_MAX_INODE_DELTA)
        break;
      if (n > 0 && Math.floor(at / METADATA_SIZE) !== metadataBlock) break;
      const e = Buffer.alloc(DIR_ENTRY_SIZE + c.name.length);
      e.writeUInt16LE(refOffset(c.ref), ENTRY.offset);
      e.writeInt16LE(c.number - first.number, ENTRY.inodeDelta);
      e.writeUInt16LE(BASIC_TYPE[c.type], ENTRY.type);
      e.writeUInt16LE(c.name.length - 1, ENTRY.nameSize);
      e.set(c.name, DIR_ENTRY_SIZE);
      entries.push(e);
      at += e.length;
    }
    const head = Buffer.alloc(DIR_HEADER_SIZE);
    head.writeUInt32LE(entries.length - 1, RUN.count);
    head.writeUInt32LE(block, RUN.startBlock);
    head.writeUInt32LE(first.number, RUN.inodeBase);
    runs.push({ bytes: Buffer.concat([head, ...entries]), firstName: first.name });
    i += entries.length;
  }
  return runs;
}
