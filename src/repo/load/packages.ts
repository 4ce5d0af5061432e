/** The packages: every pkg.yaml rendered in its directory's scope and parsed, with the templates attached to it. */
import type { AttachedTemplate, Package, TemplateFile } from "../model.js";
import { type PkgDoc, readPkg } from "../pkg.js";
import { renderTemplate } from "../template.js";
import type { Scope } from "../vars.js";
import { parseYaml, TextMap } from "../yaml.js";
import type { RepoFiles } from "./files.js";
import { baseOf, chain, parentOf } from "./paths.js";
import type { DirScopes } from "./scopes.js";

/** The `*.tmpl` files, with the text of those that could be read. */
interface Templates {
  readonly files: readonly string[];
  readonly text: ReadonlyMap<string, string>;
}

/** Loads every package, in path order; renderings join `templates`, failures `files.problems`. */
export async function loadPackages(files: RepoFiles, scopes: DirScopes, templates: TemplateFile[]): Promise<Package[]> {
  const pkgFiles = files.list((p) => baseOf(p) === "pkg.yaml").sort();
  const pkgDirs = new Set(pkgFiles.map(parentOf));
  const tmpl = await readTemplates(files);
  const packages: Package[] = [];
  for (const file of pkgFiles) {
    const dir = parentOf(file);
    const scope = scopes.scopeFor(dir);
    const text = await files.read(file);
    const attached = attachTemplates(dir, scope, pkgDirs, tmpl, templates);
    const doc = text === undefined ? undefined : parsePackage(files, file, text, scope, templates);
    packages.push({ dir, file, scope, ...(doc ? { doc } : {}), templates: attached });
  }
  return packages;
}

async function readTemplates(files: RepoFiles): Promise<Templates> {
  const list = files.list((p) => p.endsWith(".tmpl")).sort();
  const text = new Map<string, string>();
  for (const f of list) {
    const t = await files.read(f);
    if (t !== undefined) text.set(f, t);
  }
  return { files: list, text };
}

/** The templates of the package in `dir`: each attaches to the closest package above it (bldr's attachTemplate). */
function attachTemplates(
  dir: string,
  scope: Scope,
  pkgDirs: ReadonlySet<string>,
  tmpl: Templates,
  templates: TemplateFile[],
): AttachedTemplate[] {
  const attached: AttachedTemplate[] = [];
  for (const t of tmpl.files) {
    const owner = chain(parentOf(t))
      .reverse()
      .find((d) => pkgDirs.has(d));
    if (owner !== dir) continue;
    const source = tmpl.text.get(t);
    const output = (dir === "" ? t : t.slice(dir.length + 1)).replace(/\.tmpl$/, "");
    if (source === undefined) {
      attached.push({ file: t, output });
      continue;
    }
    const result = renderTemplate(source, scope);
    const map = new TextMap(t, source, result.rendered);
    templates.push({ file: t, map, result, scope });
    attached.push({ file: t, output, ...(result.rendered ? { map } : {}) });
  }
  return attached;
}

/** Renders and parses a pkg.yaml; undefined when that fails (the template or a problem says why). */
function parsePackage(
  files: RepoFiles,
  file: string,
  text: string,
  scope: Scope,
  templates: TemplateFile[],
): PkgDoc | undefined {
  const result = renderTemplate(text, scope);
  const map = new TextMap(file, text, result.rendered);
  templates.push({ file, map, result, scope });
  if (result.rendered === undefined) return undefined;
  const parsed = parseYaml(map);
  if ("errors" in parsed) {
    for (const e of parsed.errors) files.problems.push({ file, ...e });
    return undefined;
  }
  const doc = readPkg(parsed.doc, map);
  for (const e of doc.errors) files.problems.push({ file, ...e });
  return doc;
}

/** Packages by their pkg.yaml name; the first of a name wins. */
export function byName(packages: readonly Package[]): Map<string, Package> {
  const out = new Map<string, Package>();
  for (const p of packages) {
    const name = p.doc?.name?.value;
    if (name !== undefined && !out.has(name)) out.set(name, p);
  }
  return out;
}
