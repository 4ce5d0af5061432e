/**
 * What a package puts in its build tree, read statically from its pkg.yaml (build/infer.ts infers it): each
 * entry with the line that wrote it, and the files under `/pkg` the build reads.
 */
import type { Place } from "./source.js";

export type InstallKind = "file" | "dir" | "symlink" | "tree";

/** Where an entry was written: the pkg.yaml line, and the stages it came through. */
export interface Origin {
  readonly file: string;
  readonly place: Place;
  /** The command, e.g. `cp`, `ldconfig`, `sbom`. */
  readonly how: string;
  /** Stage names it came through, nearest first (empty when the package wrote it itself). */
  readonly via: readonly string[];
}

export interface Install {
  /** Absolute path in the tree it belongs to. */
  readonly path: string;
  readonly kind: InstallKind;
  readonly origin: Origin;
}

/** A file under `/pkg` that a step or `finalize` reads (relative to `/pkg`). */
export interface PkgRef {
  readonly path: string;
  /** The reference holds a glob (`*`, `?`, `[`): at least one file must match. */
  readonly glob: boolean;
  readonly origin: Origin;
}

/** The package directory as the build sees it under `/pkg`. */
export interface PkgContext {
  /** Relative paths of the regular files and symlinks, and of the directories. */
  readonly files: ReadonlySet<string>;
  readonly dirs: ReadonlySet<string>;
  /** Text of a file, for `xargs -a`; undefined when it is not there or not text. */
  text(path: string): string | undefined;
}

/** Where an `ldconfig` binary writes its cache by default, given its path in the build tree. */
export type LdconfigCache = (binary: string) => string;

export interface BuildTree {
  /** The package's output: its build tree through `finalize`, by absolute path. */
  readonly output: ReadonlyMap<string, Install>;
  readonly refs: readonly PkgRef[];
}
