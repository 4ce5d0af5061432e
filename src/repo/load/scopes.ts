/**
 * The variables each file is rendered with: bldr's environment, the build arguments the Makefile passes, the
 * Pkgfile's vars, then the vars.yaml of each directory from the root down.
 */
import type { TalosTarget, TemplateFile } from "../model.js";
import { BLDR_ENVIRONMENT, loadVarsFile, type Scope, type VarDef, VarScope } from "../vars.js";
import type { RepoFiles } from "./files.js";
import type { Kres } from "./kres.js";
import { baseOf, chain, parentOf } from "./paths.js";

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

/** `top` over `base`: a directory's vars.yaml over the scope above it. */
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

/** The `BUILD_ARG_*` variables the Makefile passes (none without a .kres.yaml). */
function buildArgs(kres: Kres | undefined, talos: TalosTarget | undefined): [string, VarDef][] {
  if (kres === undefined) return [];
  // kres' Makefile always passes SOURCE_DATE_EPOCH. TAG is the repository's git tag at build time, named like
  // the Talos release it builds for: the Talos version stands in for it (v0.0.0 when that is unknown too).
  return [...new Set(["SOURCE_DATE_EPOCH", ...kres.buildArgs])].map((name) => {
    const value = name === "TAG" ? (talos?.version ?? "v0.0.0") : (kres.defaults.get(name) ?? "");
    return [`BUILD_ARG_${name}`, { value, origin: `a build argument (.kres.yaml extraBuildArgs)` }];
  });
}

/** The scope of the repository root, before any vars.yaml. */
export function rootScope(
  kres: Kres | undefined,
  talos: TalosTarget | undefined,
  pkgfileVars: ReadonlyMap<string, VarDef>,
): Scope {
  const base = new VarScope(
    Object.entries(BLDR_ENVIRONMENT).map(([k, v]) => [k, { value: v, origin: "bldr (linux/amd64)" }]),
  );
  const globals = base.with(buildArgs(kres, talos)).with(pkgfileVars);
  return kres === undefined ? new OpenBuildArgs(globals) : globals;
}

/** The scope of each directory, after its vars.yaml files are loaded. */
export class DirScopes {
  private readonly dirVars = new Map<string, ReadonlyMap<string, VarDef>>();

  constructor(private readonly root: Scope) {}

  /** The scope a file in `dir` is rendered in; without `includeSelf`, that of the directories above `dir`. */
  scopeFor(dir: string, includeSelf = true): Scope {
    let scope = this.root;
    for (const d of chain(dir)) {
      if (!includeSelf && d === dir) break;
      const vars = this.dirVars.get(d);
      if (vars !== undefined) scope = new Layered(scope, vars);
    }
    return scope;
  }

  /** Renders the vars.yaml files, parents before children: each in the scope of the directories above it. */
  async load(files: RepoFiles, templates: TemplateFile[]): Promise<void> {
    // bldr sorts by directory, so that `misc` comes before `misc/glibc` (a plain path sort would not).
    const byDir = (a: string, b: string) => (parentOf(a) < parentOf(b) ? -1 : parentOf(a) > parentOf(b) ? 1 : 0);
    for (const file of files.list((p) => baseOf(p) === "vars.yaml").sort(byDir)) {
      const text = await files.read(file);
      if (text === undefined) continue;
      const dir = parentOf(file);
      const scope = this.scopeFor(dir, false);
      const loaded = loadVarsFile(file, text, scope);
      templates.push({ file, map: loaded.map, result: loaded.template, scope });
      for (const e of loaded.errors) files.problems.push({ file, ...e });
      this.dirVars.set(dir, loaded.vars);
    }
  }
}
