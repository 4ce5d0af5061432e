/** A package directory as its build sees it under `/pkg`: its files, and the text of the lists `xargs -a` reads. */
import type { PkgContext } from "../installs.js";
import type { Package } from "../model.js";
import type { RepoTree } from "../walk.js";
import type { RepoFiles } from "./files.js";
import { join } from "./paths.js";

/** Reads every `/pkg` file a script names after `-a` (`xargs -a /pkg/files/modules.txt`), by repository path. */
export async function readArgFiles(
  files: RepoFiles,
  packages: readonly Package[],
): Promise<Map<string, string | undefined>> {
  const texts = new Map<string, string | undefined>();
  for (const pkg of packages) {
    for (const script of pkg.doc?.scripts ?? []) {
      for (const m of script.text.matchAll(/-a\s+(\/pkg\/[^\s'"$;|&<>]+)/g)) {
        const rel = join(pkg.dir, (m[1] as string).slice("/pkg/".length));
        if (files.isFile(rel) && !texts.has(rel)) texts.set(rel, await files.read(rel));
      }
    }
  }
  return texts;
}

export function pkgContext(tree: RepoTree, texts: ReadonlyMap<string, string | undefined>, pkg: Package): PkgContext {
  const files = new Set<string>();
  const dirs = new Set<string>();
  for (const [p, kind] of tree.entries) {
    if (pkg.dir !== "" && !p.startsWith(`${pkg.dir}/`)) continue;
    const rel = pkg.dir === "" ? p : p.slice(pkg.dir.length + 1);
    if (rel === "") continue;
    if (kind === "dir") dirs.add(rel);
    else files.add(rel);
  }
  return { files, dirs, text: (rel) => texts.get(join(pkg.dir, rel)) };
}
