/**
 * Reads an extensions repository into a RepoModel: walks it, renders every vars.yaml, pkg.yaml and *.tmpl in
 * the scope bldr would give it, parses the results, and finds the extensions by their files: a directory with
 * a pkg.yaml and a manifest.yaml.tmpl (or a plain manifest.yaml). Unreadable files become problems; only a
 * repository that cannot be listed at all makes `loadRepository` throw.
 */
import { parseAllDocuments } from "yaml";
import { parseManifest } from "../talos/manifest.js";
import { contextFilter } from "./context.js";
import { type Install, inferBuild, type PkgContext, type PkgRef } from "./installs.js";
import type {
  AttachedTemplate,
  Extension,
  FileProblem,
  KresTargets,
  ManifestSource,
  Package,
  RepoModel,
  TalosTarget,
  TemplateFile,
} from "./model.js";
import { readPkg } from "./pkg.js";
import { parseShell } from "./shell.js";
import { readText } from "./source.js";
import { renderTemplate } from "./template.js";
import { BLDR_ENVIRONMENT, decodeStringMap, loadVarsFile, type Scope, type VarDef, VarScope } from "./vars.js";
import { walkRepository } from "./walk.js";
import { mapEntries, mapGet, parseYaml, scalarText, seqItems, TextMap } from "./yaml.js";

export interface LoadOptions {
  /** The Talos release the repository builds for; by default `.kres.yaml`'s PKGS default. */
  readonly talos?: string;
}

const parentOf = (path: string): string => (path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "");
const baseOf = (path: string): string => path.slice(path.lastIndexOf("/") + 1);
const join = (dir: string, name: string): string => (dir === "" ? name : `${dir}/${name}`);
/** "" and each ancestor of `dir`, root first, `dir` last. */
function chain(dir: string): string[] {
  if (dir === "") return [""];
  const parts = dir.split("/");
  return ["", ...parts.map((_, i) => parts.slice(0, i + 1).join("/"))];
}
const underDir = (path: string, dir: string): boolean => dir === "" || path === dir || path.startsWith(`${dir}/`);

/** A scope that answers for any `BUILD_ARG_*` when the repository does not say which build arguments exist. */
class OpenBuildArgs implements Scope {
  constructor(private readonly inner: VarScope) {}
  get(name: string): string | undefined {
    return this.def(name)?.value;
  }
  def(name: string): VarDef | undefined {
    return (
      this.inner.def(name) ??
      (name.startsWith("BUILD_ARG_") ? { value: "", origin: "a build argument (no .kres.yaml lists them)" } : undefined)
    );
  }
}

class Layered implements Scope {
  constructor(
    private readonly base: Scope,
    private readonly top: ReadonlyMap<string, VarDef>,
  ) {}
  get(name: string): string | undefined {
    return this.def(name)?.value;
  }
  def(name: string): VarDef | undefined {
    return this.top.get(name) ?? this.base.def(name);
  }
}

interface Kres extends KresTargets {
  readonly buildArgs: readonly string[];
  readonly defaults: ReadonlyMap<string, string>;
}

/** The `pkgfile.Build` document of `.kres.yaml`: targets, build arguments and their Makefile defaults. */
function readKres(map: TextMap, problems: FileProblem[]): Kres | undefined {
  const docs = parseAllDocuments(map.text, { prettyErrors: false });
  const list = Array.isArray(docs) ? docs : [];
  for (const doc of list) {
    if (doc.errors.length > 0) {
      for (const err of doc.errors) {
        const place = map.place(err.pos[0]);
        problems.push({
          file: map.file,
          place,
          message: `malformed YAML at line ${place.line}, column ${place.column}: ${err.message.replace(/\.$/, "")}`,
        });
      }
      return undefined;
    }
    if (scalarText(doc, mapGet(doc, doc.contents, "kind")?.value) !== "pkgfile.Build") continue;
    const spec = mapGet(doc, doc.contents, "spec")?.value;
    const strings = (node: unknown): string[] =>
      (seqItems(doc, node) ?? []).map((n) => scalarText(doc, n)).filter((s): s is string => s !== undefined);
    const names = new Set(strings(mapGet(doc, spec, "targets")?.value));
    for (const group of mapEntries(doc, mapGet(doc, spec, "additionalTargets")?.value) ?? []) {
      for (const n of strings(group.value)) names.add(n);
    }
    const defaults = new Map<string, string>();
    const vars = mapGet(doc, mapGet(doc, spec, "makefile")?.value, "extraVariables")?.value;
    for (const v of seqItems(doc, vars) ?? []) {
      const name = scalarText(doc, mapGet(doc, v, "name")?.value);
      const value = scalarText(doc, mapGet(doc, v, "defaultValue")?.value);
      if (name !== undefined && value !== undefined) defaults.set(name, value);
    }
    return { file: map.file, names, buildArgs: strings(mapGet(doc, spec, "extraBuildArgs")?.value), defaults };
  }
  return undefined;
}

/** The `prefix → sysconfdir` of the `configure --prefix=… [--sysconfdir=…]` calls of these packages, first one first. */
function configurePrefixes(packages: readonly { doc?: Package["doc"] }[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of packages) {
    for (const script of p.doc?.scripts ?? []) {
      for (const cmd of parseShell(script.text)) {
        if (baseOf(cmd.words[0] ?? "") !== "configure") continue;
        const opt = (name: string) => cmd.words.find((w) => w.startsWith(`--${name}=`))?.slice(name.length + 3);
        const prefix = opt("prefix");
        if (prefix === undefined) continue;
        // Autoconf's default is ${prefix}/etc; glibc's configure makes it /etc for the /usr prefix.
        if (!out.has(prefix.replace(/\/$/, "")))
          out.set(prefix.replace(/\/$/, ""), opt("sysconfdir") ?? (prefix === "/usr" ? "/etc" : `${prefix}/etc`));
      }
    }
  }
  return out;
}

export async function loadRepository(root: string, options: LoadOptions = {}): Promise<RepoModel> {
  const tree = await walkRepository(root);
  const problems: FileProblem[] = [];
  const templates: TemplateFile[] = [];
  const isFile = (p: string) => {
    const k = tree.entries.get(p);
    return k === "file" || k === "symlink";
  };
  const read = async (file: string): Promise<string | undefined> => {
    const r = await readText(root, file);
    if ("problem" in r) {
      problems.push(r.problem);
      return undefined;
    }
    return r.text;
  };

  // Pkgfile: the frontend line and the global vars.
  const pkgfileText = isFile("Pkgfile") ? await read("Pkgfile") : undefined;
  const pkgfileVars = new Map<string, VarDef>();
  if (pkgfileText !== undefined) {
    const map = new TextMap("Pkgfile", pkgfileText);
    const parsed = parseYaml(map);
    if ("errors" in parsed) for (const e of parsed.errors) problems.push({ file: "Pkgfile", ...e });
    else {
      const vars = mapGet(parsed.doc, parsed.doc.contents, "vars")?.value;
      const decoded = decodeStringMap(parsed.doc, vars, map, "Pkgfile");
      for (const e of decoded.errors) problems.push({ file: "Pkgfile", ...e });
      for (const [k, v] of decoded.vars) pkgfileVars.set(k, v);
    }
  }

  const kresText = isFile(".kres.yaml") ? await read(".kres.yaml") : undefined;
  const kres = kresText === undefined ? undefined : readKres(new TextMap(".kres.yaml", kresText), problems);

  const pkgsDefault = kres?.defaults.get("PKGS");
  const talos: TalosTarget | undefined =
    options.talos !== undefined
      ? { version: options.talos, origin: "--talos" }
      : pkgsDefault !== undefined && /^v?[0-9]+\.[0-9]+/.test(pkgsDefault)
        ? { version: pkgsDefault, origin: ".kres.yaml (the PKGS default, which follows Talos releases)" }
        : undefined;

  // bldr's environment, the build arguments the Makefile passes, then the Pkgfile's vars.
  const base = new VarScope(
    Object.entries(BLDR_ENVIRONMENT).map(([k, v]) => [k, { value: v, origin: "bldr (linux/amd64)" }]),
  );
  const buildArgs: [string, VarDef][] = [];
  if (kres !== undefined) {
    // kres' Makefile always passes SOURCE_DATE_EPOCH. TAG is the repository's git tag at build time, named like
    // the Talos release it builds for: the Talos version stands in for it (v0.0.0 when that is unknown too).
    for (const name of new Set(["SOURCE_DATE_EPOCH", ...kres.buildArgs])) {
      const value = name === "TAG" ? (talos?.version ?? "v0.0.0") : (kres.defaults.get(name) ?? "");
      buildArgs.push([`BUILD_ARG_${name}`, { value, origin: `a build argument (.kres.yaml extraBuildArgs)` }]);
    }
  }
  const globals = base.with(buildArgs).with(pkgfileVars);
  const rootScope: Scope = kres === undefined ? new OpenBuildArgs(globals) : globals;

  // vars.yaml files, parents before children: each rendered in the scope of the directories above it.
  const dirVars = new Map<string, ReadonlyMap<string, VarDef>>();
  const scopeFor = (dir: string, includeSelf = true): Scope => {
    let scope = rootScope;
    for (const d of chain(dir)) {
      if (!includeSelf && d === dir) break;
      const vars = dirVars.get(d);
      if (vars !== undefined) scope = new Layered(scope, vars);
    }
    return scope;
  };
  // bldr sorts by directory, so that `misc` comes before `misc/glibc` (a plain path sort would not).
  const byDir = (a: string, b: string) => (parentOf(a) < parentOf(b) ? -1 : parentOf(a) > parentOf(b) ? 1 : 0);
  const varsFiles = [...tree.entries.keys()].filter((p) => baseOf(p) === "vars.yaml" && isFile(p)).sort(byDir);
  for (const file of varsFiles) {
    const text = await read(file);
    if (text === undefined) continue;
    const dir = parentOf(file);
    const scope = scopeFor(dir, false);
    const loaded = loadVarsFile(file, text, scope);
    templates.push({ file, map: loaded.map, result: loaded.template, scope });
    for (const e of loaded.errors) problems.push({ file, ...e });
    dirVars.set(dir, loaded.vars);
  }

  // Packages.
  const packages: Package[] = [];
  const pkgFiles = [...tree.entries.keys()].filter((p) => baseOf(p) === "pkg.yaml" && isFile(p)).sort();
  const pkgDirs = new Set(pkgFiles.map(parentOf));
  const tmplFiles = [...tree.entries.keys()].filter((p) => p.endsWith(".tmpl") && isFile(p)).sort();
  const tmplText = new Map<string, string>();
  for (const f of tmplFiles) {
    const t = await read(f);
    if (t !== undefined) tmplText.set(f, t);
  }
  for (const file of pkgFiles) {
    const dir = parentOf(file);
    const scope = scopeFor(dir);
    const text = await read(file);
    // Templates attach to the closest package above them (bldr's attachTemplate).
    const attached: AttachedTemplate[] = [];
    for (const t of tmplFiles) {
      const owner = chain(parentOf(t))
        .reverse()
        .find((d) => pkgDirs.has(d));
      if (owner !== dir) continue;
      const source = tmplText.get(t);
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
    if (text === undefined) {
      packages.push({ dir, file, scope, templates: attached });
      continue;
    }
    const result = renderTemplate(text, scope);
    const map = new TextMap(file, text, result.rendered);
    templates.push({ file, map, result, scope });
    if (result.rendered === undefined) {
      packages.push({ dir, file, scope, templates: attached });
      continue;
    }
    const parsed = parseYaml(map);
    if ("errors" in parsed) {
      for (const e of parsed.errors) problems.push({ file, ...e });
      packages.push({ dir, file, scope, templates: attached });
      continue;
    }
    const doc = readPkg(parsed.doc, map);
    for (const e of doc.errors) problems.push({ file, ...e });
    packages.push({ dir, file, scope, doc, templates: attached });
  }
  const packagesByName = new Map<string, Package>();
  for (const p of packages) {
    const name = p.doc?.name?.value;
    if (name !== undefined && !packagesByName.has(name)) packagesByName.set(name, p);
  }

  // Extensions: packages with a manifest.
  const extensions: Extension[] = [];
  for (const pkg of packages) {
    const tmpl = join(pkg.dir, "manifest.yaml.tmpl");
    const plain = join(pkg.dir, "manifest.yaml");
    const manifestFile = isFile(tmpl) ? tmpl : isFile(plain) ? plain : undefined;
    if (manifestFile === undefined) continue;
    let manifest: ManifestSource | undefined;
    if (manifestFile === tmpl) {
      const map = pkg.templates.find((t) => t.file === tmpl)?.map;
      if (map !== undefined) manifest = { file: tmpl, map, parse: parseManifest(map.text, tmpl) };
    } else {
      const text = await read(plain);
      if (text !== undefined) {
        const map = new TextMap(plain, text);
        manifest = { file: plain, map, parse: parseManifest(text, plain) };
      }
    }
    const readme = chain(pkg.dir)
      .slice(1)
      .reverse()
      .map((d) => join(d, "README.md"))
      .find(isFile);
    extensions.push({
      dir: pkg.dir,
      pkg,
      name: pkg.doc?.name?.value ?? pkg.dir,
      manifestFile,
      ...(manifest ? { manifest } : {}),
      ...(readme ? { readme } : {}),
    });
  }

  // Build trees, memoized per package; a stage cycle contributes nothing the second time round.
  const stagesOf = (pkg: Package, seen = new Set<Package>()): Set<Package> => {
    if (seen.has(pkg)) return seen;
    seen.add(pkg);
    for (const dep of pkg.doc?.dependencies ?? []) {
      const p = dep.stage === undefined ? undefined : packagesByName.get(dep.stage);
      if (p !== undefined) stagesOf(p, seen);
    }
    return seen;
  };
  /** The ldconfig a package runs was built by itself or a stage below it: their configure says where it looks. */
  const ldconfigCacheFor = (pkg: Package) => {
    const prefixes = configurePrefixes([...stagesOf(pkg)]);
    return (binary: string): string => {
      const m = /^(.*)\/s?bin\/ldconfig$/.exec(binary);
      if (m === null) return "/etc/ld.so.cache";
      const prefix = m[1] as string;
      const sysconf = prefixes.get(prefix) ?? (prefix === "" || prefix === "/usr" ? "/etc" : `${prefix}/etc`);
      return `${sysconf}/ld.so.cache`;
    };
  };
  const fileTexts = new Map<string, string | undefined>();
  for (const pkg of packages) {
    for (const script of pkg.doc?.scripts ?? []) {
      for (const m of script.text.matchAll(/-a\s+(\/pkg\/[^\s'"$;|&<>]+)/g)) {
        const rel = join(pkg.dir, (m[1] as string).slice("/pkg/".length));
        if (isFile(rel) && !fileTexts.has(rel)) fileTexts.set(rel, await read(rel));
      }
    }
  }
  const contextOf = (pkg: Package): PkgContext => {
    const files = new Set<string>();
    const dirs = new Set<string>();
    for (const [p, kind] of tree.entries) {
      if (pkg.dir !== "" && !p.startsWith(`${pkg.dir}/`)) continue;
      const rel = pkg.dir === "" ? p : p.slice(pkg.dir.length + 1);
      if (rel === "") continue;
      if (kind === "dir") dirs.add(rel);
      else files.add(rel);
    }
    return { files, dirs, text: (rel) => fileTexts.get(join(pkg.dir, rel)) };
  };
  const outputs = new Map<Package, { output: ReadonlyMap<string, Install>; refs: readonly PkgRef[] }>();
  const building = new Set<Package>();
  const build = (pkg: Package): { output: ReadonlyMap<string, Install>; refs: readonly PkgRef[] } => {
    const done = outputs.get(pkg);
    if (done !== undefined) return done;
    if (pkg.doc === undefined || building.has(pkg)) return { output: new Map(), refs: [] };
    building.add(pkg);
    const result = inferBuild(
      pkg.file,
      pkg.doc,
      contextOf(pkg),
      (stage) => {
        const dep = packagesByName.get(stage);
        return dep === undefined ? undefined : build(dep).output;
      },
      ldconfigCacheFor(pkg),
    );
    building.delete(pkg);
    outputs.set(pkg, result);
    return result;
  };
  const inputs = new Map<Extension, Set<string>>();
  const inputsOf = (ext: Extension): ReadonlySet<string> => {
    let set = inputs.get(ext);
    if (set === undefined) {
      set = new Set(["Pkgfile", ".kres.yaml"]);
      for (const p of stagesOf(ext.pkg)) {
        for (const f of tree.entries.keys()) if (p.dir === "" || underDir(f, p.dir)) set.add(f);
        for (const d of chain(p.dir)) set.add(join(d, "vars.yaml"));
      }
      if (ext.readme !== undefined) set.add(ext.readme);
      inputs.set(ext, set);
    }
    return set;
  };

  return {
    root,
    tree,
    problems,
    templates,
    packages,
    packagesByName,
    extensions,
    context: contextFilter(pkgfileText),
    ...(kres ? { kres: { file: kres.file, names: kres.names } } : {}),
    ...(talos ? { talos } : {}),
    talosHint: kres === undefined ? "Pkgfile" : ".kres.yaml",
    selected: new Set(extensions),
    inputsOf,
    affects: (ext, path) =>
      inputsOf(ext).has(path) || [...stagesOf(ext.pkg)].some((p) => p.dir === "" || underDir(path, p.dir)),
    rootfsOf: (ext) => {
      const out = new Map<string, Install>();
      for (const e of build(ext.pkg).output.values()) {
        if (e.path === "/rootfs" || !e.path.startsWith("/rootfs/")) continue;
        const path = e.path.slice("/rootfs".length);
        out.set(path, { ...e, path });
      }
      return out;
    },
    refsOf: (ext) => [...stagesOf(ext.pkg)].flatMap((pkg) => build(pkg).refs.map((ref) => ({ pkg, ref }))),
  };
}
