import type { ByteSource } from "../../io/source.js";
import { ID_ENTRY_SIZE } from "./format.js";
import { LookupTable } from "./lookup-table.js";
import type { MetadataCache } from "./metadata.js";
import type { Superblock } from "./superblock.js";

/** The id table: the uids and gids inodes refer to by index (at most 65535 of them, so read whole). */
export async function readIdTable(
  src: ByteSource,
  cache: MetadataCache,
  sb: Superblock,
): Promise<{ ids: number[]; firstBlock: number | undefined }> {
  const t = await LookupTable.open(
    src,
    cache,
    "id table",
    sb.idTableStart,
    sb.idCount,
    ID_ENTRY_SIZE,
    sb.directoryTableStart,
  );
  const ids: number[] = [];
  for (let i = 0; i < t.count; i++) ids.push((await t.entry(i)).getUint32(0, true));
  return { ids, firstBlock: t.firstBlock };
}

/** The id table's entries: one u32 per distinct uid or gid. */
export function encodeIdEntries(ids: readonly number[]): Uint8Array {
  const b = Buffer.alloc(ids.length * ID_ENTRY_SIZE);
  for (const [i, id] of ids.entries()) b.writeUInt32LE(id, i * ID_ENTRY_SIZE);
  return b;
}
