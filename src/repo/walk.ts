/**
 * The repository's file list, walked the way bldr walks it to find packages (filepath.Walk in
 * siderolabs/bldr internal/pkg/solver/filesystem_loader.go): symlinks are listed but never followed, so a
 * symlink loop cannot make the walk run forever; hidden directories (`.git`, `.github`) and the `_out`
 * artifacts directory are skipped.
 */
import type { Dirent } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";

export type EntryKind = "file" | "dir" | "symlink" | "other";

export interface RepoTree {
  /** Every entry, relative to the root with `/` separators, in sorted order; the root itself is "". */
  readonly entries: ReadonlyMap<string, EntryKind>;
  /** Directories that could not be listed, with the reason. */
  readonly unreadable: readonly { readonly dir: string; readonly message: string }[];
}

/** A repository this large is not an extensions repository (siderolabs/extensions has about 1,500 files). */
export const MAX_ENTRIES = 200_000;

export class TooManyEntries extends Error {
  constructor(readonly limit: number) {
    super(`more than ${limit} files and directories: not an extensions repository, or the wrong directory`);
  }
}

const kindOf = (d: Dirent): EntryKind =>
  d.isSymbolicLink() ? "symlink" : d.isDirectory() ? "dir" : d.isFile() ? "file" : "other";

/** Lists `root`; throws only when `root` itself cannot be listed or the walk passes MAX_ENTRIES. */
export async function walkRepository(root: string): Promise<RepoTree> {
  const entries = new Map<string, EntryKind>([["", "dir"]]);
  const unreadable: { dir: string; message: string }[] = [];
  const queue: string[] = [""];
  while (queue.length > 0) {
    const dir = queue.shift() as string;
    let list: Dirent[];
    try {
      list = await readdir(join(root, dir), { withFileTypes: true });
    } catch (err) {
      if (dir === "") throw err;
      unreadable.push({ dir, message: (err as Error).message });
      continue;
    }
    for (const d of list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const rel = dir === "" ? d.name : `${dir}/${d.name}`;
      const kind = kindOf(d);
      if (kind === "dir" && (d.name.startsWith(".") || rel === "_out")) continue;
      entries.set(rel, kind);
      if (entries.size > MAX_ENTRIES) throw new TooManyEntries(MAX_ENTRIES);
      if (kind === "dir") queue.push(rel);
    }
  }
  return { entries: new Map([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))), unreadable };
}
