/** The files that feed an extension's build, for `--changed-since`. */
import type { Extension, Package } from "../model.js";
import type { RepoTree } from "../walk.js";
import { chain, join, underDir } from "./paths.js";
import { stagesOf } from "./stages.js";

export class Inputs {
  private readonly sets = new Map<Extension, Set<string>>();

  constructor(
    private readonly tree: RepoTree,
    private readonly packagesByName: ReadonlyMap<string, Package>,
  ) {}

  /** Its stages' files and the vars.yaml above them, its README, Pkgfile and .kres.yaml; computed once. */
  of(ext: Extension): ReadonlySet<string> {
    let set = this.sets.get(ext);
    if (set === undefined) {
      set = new Set(["Pkgfile", ".kres.yaml"]);
      for (const p of stagesOf(ext.pkg, this.packagesByName)) {
        for (const f of this.tree.entries.keys()) if (p.dir === "" || underDir(f, p.dir)) set.add(f);
        for (const d of chain(p.dir)) set.add(join(d, "vars.yaml"));
      }
      if (ext.readme !== undefined) set.add(ext.readme);
      this.sets.set(ext, set);
    }
    return set;
  }

  /** Whether `path` (which may no longer exist) is an input or lies in the directory of one of its stages. */
  affects(ext: Extension, path: string): boolean {
    return (
      this.of(ext).has(path) ||
      [...stagesOf(ext.pkg, this.packagesByName)].some((p) => p.dir === "" || underDir(path, p.dir))
    );
  }
}
