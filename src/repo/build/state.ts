/** The build tree as the steps write it, by absolute path. */
import { isInside } from "../../io/path.js";
import type { Install, InstallKind, Origin } from "../installs.js";

export class BuildState {
  readonly tree = new Map<string, Install>();

  /** Whether `p` is known to be a directory (or a tree of unknown content). */
  knownDir(p: string): boolean {
    const e = this.tree.get(p);
    return e?.kind === "dir" || e?.kind === "tree";
  }

  /** Writes an entry; a directory does not replace what is already known at its path. */
  put(path: string, kind: InstallKind, origin: Origin): void {
    if (kind === "dir" && this.tree.has(path)) return;
    this.set(path, kind, origin);
  }

  /** Writes an entry, replacing what was there. */
  set(path: string, kind: InstallKind, origin: Origin): void {
    this.tree.set(path, { path, kind, origin });
  }

  /** Removes `path` and everything under it. */
  remove(path: string): void {
    for (const key of [...this.tree.keys()]) if (isInside(key, path)) this.tree.delete(key);
  }

  /** The entries at or under `root`. */
  under(root: string): Install[] {
    return [...this.tree.values()].filter((e) => isInside(e.path, root));
  }
}
