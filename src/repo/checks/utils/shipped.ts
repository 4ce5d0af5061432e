/**
 * Conflicts between extensions that the overlay resolves silently at boot: Talos stacks the extensions, and
 * for a path shipped twice the one later in extensions.yaml wins (src/talos/overlay.ts). A repository does
 * not fix that order, so every path shipped by two extensions is a conflict whose winner depends on how the
 * installer is composed.
 */
import type { EntryType } from "../../../io/entry.js";
import { type OverlayLayer, pathConflicts } from "../../../talos/overlay.js";
import type { Install } from "../../installs.js";
import type { Extension, RepoModel } from "../../model.js";
import { provenance } from "./provenance.js";

export interface Shipped {
  readonly ext: Extension;
  readonly entries: ReadonlyMap<string, Install>;
}

export function shipped(model: RepoModel): Shipped[] {
  return model.extensions.map((ext) => ({ ext, entries: model.rootfsOf(ext) }));
}

/** The provider a finding points at: the last selected one, so that it lands in the change under review. */
export function pointAt(model: RepoModel, providers: readonly Shipped[]): Shipped | undefined {
  const chosen = providers.filter((p) => model.selected.has(p.ext));
  return chosen[chosen.length - 1];
}

const TYPE: Record<Install["kind"], EntryType | undefined> = {
  file: "file",
  symlink: "symlink",
  dir: "dir",
  tree: undefined,
};

/**
 * Paths shipped by more than one published extension. With a .kres.yaml only its targets count: the release
 * (and upstream's duplicate check, which reads the release's image list) holds no other image.
 */
export function conflicts(model: RepoModel) {
  const kres = model.kres;
  const all = shipped(model).filter((s) => kres === undefined || kres.names.has(s.ext.name));
  const layers: OverlayLayer[] = all.map((s) => ({
    name: s.ext.dir,
    entries: [...s.entries.values()].flatMap((e) => {
      const type = TYPE[e.kind];
      return type === undefined ? [] : [{ path: e.path, type }];
    }),
  }));
  const byDir = new Map(all.map((s) => [s.ext.dir, s]));
  return pathConflicts(layers).map((c) => ({
    path: c.path,
    providers: c.providers.map((d) => byDir.get(d) as Shipped),
  }));
}

export const where = (s: Shipped, path: string): string => {
  const e = s.entries.get(path) as Install;
  return `${s.ext.name} (${provenance(e)})`;
};
