/**
 * Reads an extensions repository into a RepoModel: walks it, renders every vars.yaml, pkg.yaml and *.tmpl in
 * the scope bldr would give it, parses the results, and finds the extensions by their files: a directory with
 * a pkg.yaml and a manifest.yaml.tmpl (or a plain manifest.yaml). Unreadable files become problems; only a
 * repository that cannot be listed at all makes `loadRepository` throw.
 */
import { contextFilter } from "./context.js";
import { Builds } from "./load/builds.js";
import { loadExceptions } from "./load/exceptions.js";
import { findExtensions } from "./load/extensions.js";
import { RepoFiles } from "./load/files.js";
import { Inputs } from "./load/inputs.js";
import { loadKres, talosTarget } from "./load/kres.js";
import { byName, loadPackages } from "./load/packages.js";
import { readArgFiles } from "./load/pkg-context.js";
import { readPkgfile } from "./load/pkgfile.js";
import { DirScopes, rootScope } from "./load/scopes.js";
import type { RepoModel, TemplateFile } from "./model.js";
import { walkRepository } from "./walk.js";

export interface LoadOptions {
  /** The Talos release the repository builds for; by default `.kres.yaml`'s PKGS default. */
  readonly talos?: string;
}

export async function loadRepository(root: string, options: LoadOptions = {}): Promise<RepoModel> {
  const files = new RepoFiles(root, await walkRepository(root));
  const templates: TemplateFile[] = [];
  // Read in this order, so that problems and templates come in it too.
  const pkgfile = await readPkgfile(files);
  const kres = await loadKres(files);
  const talos = talosTarget(options.talos, kres);
  const scopes = new DirScopes(rootScope(kres, talos, pkgfile.vars));
  await scopes.load(files, templates);
  const packages = await loadPackages(files, scopes, templates);
  const packagesByName = byName(packages);
  const extensions = await findExtensions(files, packages);
  const exceptions = await loadExceptions(files);
  const builds = new Builds(files.tree, packagesByName, await readArgFiles(files, packages));
  const inputs = new Inputs(files.tree, packagesByName);
  return {
    root,
    tree: files.tree,
    problems: files.problems,
    templates,
    packages,
    packagesByName,
    extensions,
    context: contextFilter(pkgfile.text),
    ...(kres ? { kres: { file: kres.file, names: kres.names } } : {}),
    exceptions,
    ...(talos ? { talos } : {}),
    talosHint: kres === undefined ? "Pkgfile" : ".kres.yaml",
    selected: new Set(extensions),
    inputsOf: (ext) => inputs.of(ext),
    affects: (ext, path) => inputs.affects(ext, path),
    rootfsOf: (ext) => builds.rootfsOf(ext),
    topLevelOf: (ext) => builds.topLevelOf(ext),
    refsOf: (ext) => builds.refsOf(ext),
  };
}
