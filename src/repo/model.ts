/** What `talos-ext check` knows about an extensions repository after reading it; the checks read only this. */
import type { ManifestParse } from "../talos/manifest.js";
import type { ContextFilter } from "./context.js";
import type { Install, PkgRef } from "./installs.js";
import type { Located, PkgDoc } from "./pkg.js";
import type { Place } from "./source.js";
import type { TemplateResult } from "./template.js";
import type { Scope } from "./vars.js";
import type { RepoTree } from "./walk.js";
import type { TextMap } from "./yaml.js";

/** A file that could not be read or decoded; each becomes a finding at its place. */
export interface FileProblem {
  readonly file: string;
  readonly message: string;
  readonly place?: Place;
}

/** A file bldr renders as a Go template, with the scope it is rendered in. */
export interface TemplateFile {
  readonly file: string;
  readonly map: TextMap;
  readonly result: TemplateResult;
  readonly scope: Scope;
}

/** A `*.tmpl` attached to a package: bldr writes its output to `/pkg/<path without .tmpl>`. */
export interface AttachedTemplate {
  readonly file: string;
  /** Relative to `/pkg`. */
  readonly output: string;
  readonly map?: TextMap;
}

export interface Package {
  /** Directory relative to the root ("" for the root). */
  readonly dir: string;
  /** `<dir>/pkg.yaml`. */
  readonly file: string;
  readonly scope: Scope;
  /** Absent when pkg.yaml could not be read, rendered or parsed (a FileProblem says why). */
  readonly doc?: PkgDoc;
  readonly templates: readonly AttachedTemplate[];
}

export interface ManifestSource {
  /** `manifest.yaml.tmpl` or `manifest.yaml`. */
  readonly file: string;
  readonly map: TextMap;
  readonly parse: ManifestParse;
}

export interface Extension {
  readonly dir: string;
  readonly pkg: Package;
  /** The name the extension goes by in messages: pkg.yaml's name, else its directory. */
  readonly name: string;
  readonly manifestFile: string;
  /** Absent when the manifest could not be read or rendered. */
  readonly manifest?: ManifestSource;
  /** README.md in the extension's directory or a directory above it (not the root), if any. */
  readonly readme?: string;
}

export interface KresTargets {
  readonly file: string;
  /** Every target name `make` builds (targets and additionalTargets). */
  readonly names: ReadonlySet<string>;
}

/** One `{images, files}` entry of an exceptions file: the exact set of images that may share these files. */
export interface ExceptionEntry {
  /** Image names without registry and owner, which are the targets' names. */
  readonly images: readonly string[];
  /** filepath.Match patterns on tar names (`rootfs/usr/...`). */
  readonly files: readonly string[];
  readonly line: number;
}

/** `hack/test/exceptions-<arch>.yaml`, as extensions-duplicate-finder reads it. */
export interface DuplicateExceptions {
  readonly file: string;
  readonly arch: string;
  readonly entries: readonly ExceptionEntry[];
}

export interface TalosTarget {
  readonly version: string;
  /** Where it came from, for messages: `--talos` or `.kres.yaml PKGS default`. */
  readonly origin: string;
}

export interface RepoModel {
  readonly root: string;
  readonly tree: RepoTree;
  readonly problems: readonly FileProblem[];
  readonly templates: readonly TemplateFile[];
  readonly packages: readonly Package[];
  readonly packagesByName: ReadonlyMap<string, Package>;
  readonly extensions: readonly Extension[];
  readonly context: ContextFilter;
  readonly kres?: KresTargets;
  /** The duplicate-finder's exceptions files, one per architecture; empty when the repository has none. */
  readonly exceptions: readonly DuplicateExceptions[];
  readonly talos?: TalosTarget;
  /** Where the Talos version would have come from, for the finding when it is unknown. */
  readonly talosHint: string;
  /** The extensions the findings are about (all of them unless `--changed-since` narrowed them). */
  readonly selected: ReadonlySet<Extension>;
  /** Files that feed each extension's build: its own, the vars.yaml above, its stages', Pkgfile, .kres.yaml. */
  inputsOf(ext: Extension): ReadonlySet<string>;
  /** Whether a path (which may no longer exist) is one of those inputs or lies in a package directory of them. */
  affects(ext: Extension, path: string): boolean;
  /** The extension's rootfs as far as its pkg.yaml says, by absolute path inside the extension. */
  rootfsOf(ext: Extension): ReadonlyMap<string, Install>;
  /** The top-level entries of the extension's image by name (Talos accepts manifest.yaml and rootfs only). */
  topLevelOf(ext: Extension): ReadonlyMap<string, Install>;
  /** `/pkg` references of the package and of every stage it builds on, with the package each belongs to. */
  refsOf(ext: Extension): readonly { readonly pkg: Package; readonly ref: PkgRef }[];
}

export type { Located };
