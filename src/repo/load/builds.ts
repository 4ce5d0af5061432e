/** Build trees of the packages, inferred from their pkg.yaml once each and on demand. */
import { inferBuild } from "../build/infer.js";
import type { BuildTree, Install, PkgRef } from "../installs.js";
import type { Extension, Package } from "../model.js";
import type { RepoTree } from "../walk.js";
import { ldconfigCache } from "./ldconfig.js";
import { pkgContext } from "./pkg-context.js";
import { stagesOf } from "./stages.js";

export class Builds {
  private readonly done = new Map<Package, BuildTree>();
  private readonly building = new Set<Package>();

  constructor(
    private readonly tree: RepoTree,
    private readonly packagesByName: ReadonlyMap<string, Package>,
    private readonly argFiles: ReadonlyMap<string, string | undefined>,
  ) {}

  /** A package's build tree; one it cannot read, or one a stage cycle reaches again, builds nothing. */
  build(pkg: Package): BuildTree {
    const done = this.done.get(pkg);
    if (done !== undefined) return done;
    if (pkg.doc === undefined || this.building.has(pkg)) return { output: new Map(), refs: [] };
    this.building.add(pkg);
    const result = inferBuild(
      pkg.file,
      pkg.doc,
      pkgContext(this.tree, this.argFiles, pkg),
      (stage) => this.stageOutput(stage),
      ldconfigCache([...stagesOf(pkg, this.packagesByName)]),
    );
    this.building.delete(pkg);
    this.done.set(pkg, result);
    return result;
  }

  /** The extension's rootfs: its package's output under `/rootfs`, by path inside the extension. */
  rootfsOf(ext: Extension): Map<string, Install> {
    const out = new Map<string, Install>();
    for (const e of this.build(ext.pkg).output.values()) {
      if (e.path === "/rootfs" || !e.path.startsWith("/rootfs/")) continue;
      const path = e.path.slice("/rootfs".length);
      out.set(path, { ...e, path });
    }
    return out;
  }

  /** The top-level entries of the extension's image (its package's output), by name, each with what wrote it. */
  topLevelOf(ext: Extension): Map<string, Install> {
    const out = new Map<string, Install>();
    for (const e of this.build(ext.pkg).output.values()) {
      const name = e.path.split("/")[1];
      if (name !== undefined && name !== "" && !out.has(name)) out.set(name, e);
    }
    return out;
  }

  /** The `/pkg` references of the extension's package and its stages. */
  refsOf(ext: Extension): { pkg: Package; ref: PkgRef }[] {
    return [...stagesOf(ext.pkg, this.packagesByName)].flatMap((pkg) =>
      this.build(pkg).refs.map((ref) => ({ pkg, ref })),
    );
  }

  private stageOutput(stage: string): ReadonlyMap<string, Install> | undefined {
    const dep = this.packagesByName.get(stage);
    return dep === undefined ? undefined : this.build(dep).output;
  }
}
