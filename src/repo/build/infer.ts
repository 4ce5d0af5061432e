/**
 * What a package puts in its build tree, read statically from its pkg.yaml: the outputs of its stage
 * dependencies (copied `from` → `to`), then what its steps write (see commands.ts; also `> FILE` and a step's
 * `sbom.outputPath`), then the `finalize` copies that make the package's output. Only destinations under
 * `/rootfs` are followed. Anything else (`make install DESTDIR=/rootfs`, `tar -C`, an installer binary) writes
 * files that cannot be known without running the build, and is not guessed.
 */
import { isInside } from "../../io/path.js";
import type { BuildTree, Install, LdconfigCache, PkgContext, PkgRef } from "../installs.js";
import type { PkgDoc } from "../pkg.js";
import type { Build } from "./commands.js";
import { basename, globMatch, inRootfs, isGlob, normalizePath, rebase } from "./paths.js";
import { type PkgUse, scanScript } from "./scan.js";
import { BuildState } from "./state.js";

/** Builds the tree of one package; `depOutput` gives the output of a stage it depends on. */
export function inferBuild(
  file: string,
  pkg: PkgDoc,
  context: PkgContext,
  depOutput: (stage: string) => ReadonlyMap<string, Install> | undefined,
  ldconfigCache: LdconfigCache,
): BuildTree {
  const b: Build = { state: new BuildState(), context, ldconfigCache };
  const use: PkgUse = { refs: [], written: new Set() };
  copyStages(b.state, pkg, depOutput);
  runSteps(b, file, pkg, use);
  const output = finalize(b.state, file, pkg, use.refs);
  return { output, refs: use.refs.filter((r) => !producedHere(r, use.written)) };
}

/** The build-time stage dependencies' outputs, `from` copied to `to`. */
function copyStages(
  state: BuildState,
  pkg: PkgDoc,
  depOutput: (stage: string) => ReadonlyMap<string, Install> | undefined,
): void {
  for (const dep of pkg.dependencies) {
    if (dep.stage === undefined || dep.runtime) continue;
    const out = depOutput(dep.stage);
    if (out === undefined) continue;
    const from = normalizePath(dep.from) ?? "/";
    const to = normalizePath(dep.to) ?? "/";
    for (const e of out.values()) {
      if (!isInside(e.path, from)) continue;
      state.set(rebase(e.path, from, to), e.kind, { ...e.origin, via: [dep.stage, ...e.origin.via] });
    }
  }
}

/** bldr runs each step's phases in this order, steps one after the other; a step's SBOM follows its scripts. */
function runSteps(b: Build, file: string, pkg: PkgDoc, use: PkgUse): void {
  const steps = [...new Set(pkg.scripts.map((s) => s.step))];
  for (const step of steps) {
    for (const script of pkg.scripts.filter((s) => s.step === step)) scanScript(b, file, script, use);
    for (const sbom of pkg.sboms.filter((s) => s.step === step)) {
      const p = normalizePath(sbom.value);
      if (inRootfs(p)) b.state.put(p, "file", { file, place: sbom.place, how: "sbom", via: [] });
    }
  }
}

/** The package's output: `finalize` copies from the build tree; one from `/pkg` is a reference instead. */
function finalize(state: BuildState, file: string, pkg: PkgDoc, refs: PkgRef[]): Map<string, Install> {
  const output = new Map<string, Install>();
  for (const fin of pkg.finalize) {
    const from = normalizePath(fin.from) ?? "/";
    const to = normalizePath(fin.to) ?? "/";
    if (isInside(from, "/pkg")) {
      const rel = from.replace(/^\/pkg\/?/, "");
      const origin = { file, place: fin.place, how: "finalize", via: [] };
      refs.push({ path: rel, glob: isGlob(rel), origin });
      // A named file lands in the destination directory (manifest.yaml at the image's top level).
      const path = rel === "" || isGlob(rel) ? undefined : normalizePath(`${to}/${basename(rel)}`);
      if (path !== undefined) output.set(path, { path, kind: "file", origin });
      continue;
    }
    for (const e of state.under(from)) {
      const path = rebase(e.path, from, to);
      output.set(path, { ...e, path });
    }
  }
  return output;
}

/** Whether the package wrote the referenced path (or a directory above it) itself. */
const producedHere = (ref: PkgRef, written: ReadonlySet<string>): boolean =>
  [...written].some((w) => (ref.glob ? globMatch(ref.path, w) : ref.path === w || ref.path.startsWith(`${w}/`)));
