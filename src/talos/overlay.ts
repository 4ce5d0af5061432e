/**
 * The root overlay Talos builds at boot: the rootfs at the bottom, then every layer of `extensions.yaml` in
 * order, the last one on top. Talos' init mounts them with the last layer first in overlayfs' lowerdir list,
 * so when two layers ship the same path the later layer wins (siderolabs/talos internal/app/init, mountRootFS).
 */
import type { LdCacheEntryFields } from "../formats/ldcache/entry.js";
import type { Entry } from "../io/entry.js";

/** One layer, bottom to top; `name` is what a user calls it (the extension's name, or `rootfs`). */
export interface OverlayLayer {
  readonly name: string;
  /** What the layer ships, each path once. */
  readonly entries: readonly Pick<Entry, "path" | "type" | "linkTarget">[];
}

export interface PathConflict {
  readonly path: string;
  /** The layers that ship the path, bottom to top; the last one wins. */
  readonly providers: readonly string[];
  readonly winner: string;
}

/** Every non-directory path shipped by more than one layer, sorted by path. */
export function pathConflicts(layers: readonly OverlayLayer[]): PathConflict[] {
  const providers = new Map<string, string[]>();
  for (const layer of layers) {
    for (const { path, type } of layer.entries) {
      if (type === "dir") continue;
      const list = providers.get(path);
      if (list === undefined) providers.set(path, [layer.name]);
      else list.push(layer.name);
    }
  }
  const out: PathConflict[] = [];
  for (const [path, list] of providers) {
    if (list.length > 1) out.push({ path, providers: list, winner: list[list.length - 1] as string });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** An ld.so.cache shipped by a layer: the sonames it lists and the directories its entries point into. */
export interface LayerCache {
  readonly layer: string;
  readonly path: string;
  /** Each as ldconfig wrote it: enough to write it again. */
  readonly entries: readonly LdCacheEntryFields[];
}

/** A shared library a layer ships, named by its ELF DT_SONAME. */
export interface LayerLibrary {
  readonly layer: string;
  readonly path: string;
  readonly soname: string;
}

export interface MissingLibrary {
  readonly soname: string;
  /** Where it is shipped (the first layer that ships it, bottom to top). */
  readonly layer: string;
  readonly path: string;
}

export interface CacheVerdict {
  /** The cache path, e.g. `/usr/local/glibc/etc/ld.so.cache`. */
  readonly path: string;
  /** The layers shipping a cache at this path, bottom to top. */
  readonly providers: readonly string[];
  readonly winner: string;
  /** Libraries in the caches' directories, shipped by some layer, that the winning cache does not list. */
  readonly missing: readonly MissingLibrary[];
  /** For each lower cache: the sonames it listed that the winner lost. */
  readonly shadowed: readonly { readonly layer: string; readonly lost: readonly string[] }[];
  /**
   * A layer order (names, bottom to top) in which a cache that lists every library wins, changing as
   * little as possible; absent when no shipped cache is complete and only a regenerated one would do.
   */
  readonly fixOrder?: readonly string[];
}

const dirname = (p: string): string => p.slice(0, Math.max(p.lastIndexOf("/"), 0)) || "/";

/**
 * Judges every ld.so.cache path: the cache that wins the overlay must list every library that any layer
 * ships in the directories those caches cover. `order` is the layer order, bottom to top.
 */
export function judgeLdCaches(
  order: readonly string[],
  caches: readonly LayerCache[],
  libraries: readonly LayerLibrary[],
): CacheVerdict[] {
  const rank = new Map(order.map((name, i) => [name, i]));
  const byPath = new Map<string, LayerCache[]>();
  for (const c of caches) {
    if (!rank.has(c.layer)) throw new Error(`cache ${c.path} of unknown layer ${c.layer}`);
    const list = byPath.get(c.path) ?? [];
    list.push(c);
    byPath.set(c.path, list);
  }
  const verdicts: CacheVerdict[] = [];
  for (const [path, list] of [...byPath].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    list.sort((a, b) => (rank.get(a.layer) as number) - (rank.get(b.layer) as number));
    const winner = list[list.length - 1] as LayerCache;
    const dirs = new Set(list.flatMap((c) => c.entries.map((e) => dirname(e.path))));
    const wanted = new Map<string, MissingLibrary>();
    for (const lib of [...libraries].sort((a, b) => (rank.get(a.layer) ?? 0) - (rank.get(b.layer) ?? 0))) {
      if (dirs.has(dirname(lib.path)) && !wanted.has(lib.soname)) wanted.set(lib.soname, lib);
    }
    const listed = (c: LayerCache) => new Set(c.entries.map((e) => e.soname));
    const winnerHas = listed(winner);
    const missing = [...wanted.values()].filter((l) => !winnerHas.has(l.soname));
    const shadowed = list.slice(0, -1).flatMap((c) => {
      const lost = [...listed(c)].filter((s) => !winnerHas.has(s)).sort();
      return lost.length > 0 ? [{ layer: c.layer, lost }] : [];
    });
    const complete = list.filter((c) => [...wanted.keys()].every((s) => listed(c).has(s)));
    const fixOrder =
      missing.length > 0 && complete.length > 0 ? moveAbove(order, (complete[0] as LayerCache).layer, list) : undefined;
    verdicts.push({
      path,
      providers: list.map((c) => c.layer),
      winner: winner.layer,
      missing,
      shadowed,
      ...(fixOrder ? { fixOrder } : {}),
    });
  }
  return verdicts;
}

/** `order` with `layer` moved just above the highest of `rivals`, everything else in place. */
function moveAbove(order: readonly string[], layer: string, rivals: readonly LayerCache[]): string[] {
  const rest = order.filter((n) => n !== layer);
  const top = Math.max(...rivals.filter((c) => c.layer !== layer).map((c) => rest.indexOf(c.layer)));
  return [...rest.slice(0, top + 1), layer, ...rest.slice(top + 1)];
}
