/** What `cp`, `install` and `mv` write into the build tree. */
import { isInside } from "../../io/path.js";
import type { Origin, PkgContext } from "../installs.js";
import { basename, globMatch, inRootfs, isGlob, normalizePath, rebase } from "./paths.js";
import type { BuildState } from "./state.js";

/**
 * Files from `/pkg` a source names: exact files, a directory's files, or a glob's matches; each by its path
 * relative to what the source named (a file's name, or its path inside the named directory).
 */
function pkgFiles(context: PkgContext, src: string): string[] | undefined {
  const rel = normalizePath(src)?.slice("/pkg".length).replace(/^\//, "");
  if (rel === undefined || !isInside(`/${rel}`, "/") || !isInside(src, "/pkg")) return undefined;
  if (isGlob(rel)) return [...context.files].filter((f) => globMatch(rel, f)).map(basename);
  if (context.files.has(rel)) return [basename(rel)];
  if (rel === "" || context.dirs.has(rel)) {
    return [...context.files]
      .filter((f) => rel === "" || f.startsWith(`${rel}/`))
      .map((f) => (rel === "" ? f : f.slice(rel.length + 1)));
  }
  return undefined;
}

export interface Copy {
  readonly sources: readonly string[];
  readonly dest: string;
  /** The destination is known to be a directory (`-t`). */
  readonly intoDir: boolean;
  readonly recursive: boolean;
  readonly origin: Origin;
}

/** Copies `sources` to `dest` when `dest` lies under `/rootfs`. */
export function copy(state: BuildState, context: PkgContext, c: Copy): void {
  const target = normalizePath(c.dest);
  if (!inRootfs(target)) return;
  const asDir = c.intoDir || c.sources.length > 1 || c.dest.endsWith("/") || state.knownDir(target);
  for (const src of c.sources) {
    const fromPkg = pkgFiles(context, src);
    if (fromPkg !== undefined) copyFromPkg(state, src, fromPkg, target, asDir, c.origin);
    else copyOther(state, src, target, asDir, c);
  }
}

/** Files listed from the package directory: exact. */
function copyFromPkg(
  state: BuildState,
  src: string,
  files: readonly string[],
  target: string,
  asDir: boolean,
  origin: Origin,
): void {
  const srcIsDir = !isGlob(src) && files.some((f) => f.includes("/"));
  for (const f of files) {
    const path = asDir
      ? normalizePath(`${target}/${srcIsDir ? `${basename(normalizePath(src) as string)}/${f}` : f}`)
      : srcIsDir
        ? normalizePath(`${target}/${f}`)
        : target;
    if (path !== undefined) state.put(path, "file", origin);
  }
}

/** A source from the build tree carries what is known about it; anything else is a file or a tree. */
function copyOther(state: BuildState, src: string, target: string, asDir: boolean, c: Copy): void {
  const trimmed = src.replace(/\/(\*|\.)?$/, "");
  const contentsOnly = /\/(\*|\.)$/.test(src);
  const name = basename(trimmed);
  const path = asDir && !contentsOnly ? normalizePath(`${target}/${name}`) : target;
  if (path === undefined) return;
  const srcPath = normalizePath(trimmed);
  if (inRootfs(srcPath) && state.tree.has(srcPath)) {
    for (const e of state.under(srcPath)) state.set(rebase(e.path, srcPath, path), e.kind, c.origin);
    return;
  }
  state.put(path, c.recursive || contentsOnly || isGlob(name) ? "tree" : "file", c.origin);
}
