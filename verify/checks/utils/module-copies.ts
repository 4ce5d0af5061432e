/** Shared by the stomping checks: each module name shipped by more than one layer of one installer. */
import type { ArtifactFact, ModuleFact } from "../../model.js";

export interface Copies {
  readonly name: string;
  /** Bottom to top, in overlay order. */
  readonly copies: readonly ModuleFact[];
  /** The copy the merged modules.dep points at, if any. */
  readonly loaded?: ModuleFact;
}

/** A module path relative to its release directory, as depmod writes it into modules.dep. */
export function depPath(path: string, release: string): string | undefined {
  const prefix = `/usr/lib/modules/${release}/`;
  return path.startsWith(prefix) ? path.slice(prefix.length) : undefined;
}

export function moduleCopies(artifact: ArtifactFact): Copies[] {
  const order = new Map(artifact.layers.map((l, i) => [l.name, i]));
  const byName = new Map<string, ModuleFact[]>();
  for (const m of artifact.modules) {
    const list = byName.get(m.name) ?? [];
    list.push(m);
    byName.set(m.name, list);
  }
  const dep = artifact.modulesDep;
  const listed = new Set(dep?.paths);
  const out: Copies[] = [];
  for (const [name, copies] of [...byName].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (copies.length < 2) continue;
    copies.sort((a, b) => (order.get(a.layer) ?? 0) - (order.get(b.layer) ?? 0));
    const loaded = dep === undefined ? undefined : copies.find((c) => listed.has(depPath(c.path, dep.release) ?? ""));
    out.push({ name, copies, ...(loaded ? { loaded } : {}) });
  }
  return out;
}

export const describeCopy = (m: ModuleFact): string =>
  `${m.layer}:${m.path} (version ${m.version ?? "none"}, srcversion ${m.srcversion ?? "none"})`;
