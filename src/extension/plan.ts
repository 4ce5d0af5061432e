/**
 * The overlay order for a set of extensions: the order to give Talos' imager (which numbers the layers in the
 * order given, so that order is the stacking order) such that every ld.so.cache path is won by a cache that
 * lists every library the layers ship under it. Where no order does it, because no shipped cache is complete,
 * a cache covering every layer's entries is generated to be shipped as its own layer, placed on top.
 */
import type { LdCacheEntryFields } from "../formats/ldcache/entry.js";
import {
  type CacheVerdict,
  judgeLdCaches,
  type LayerCache,
  type LayerLibrary,
  type MissingLibrary,
} from "../talos/overlay.js";

/** The name the generated cache layer goes by in a plan. */
export const GENERATED_CACHE_LAYER = "ld-so-cache";

export interface GeneratedCache {
  readonly path: string;
  /** Every entry of every cache at `path`, the upper layer's where two name the same library. */
  readonly libs: readonly LdCacheEntryFields[];
  /** Libraries shipped under the caches' directories that no cache lists: only ldconfig over the tree adds them. */
  readonly missing: readonly MissingLibrary[];
}

export interface OverlayPlan {
  /** Layer names bottom to top, the generated cache layer last when there is one. */
  readonly order: readonly string[];
  /** Whether `order` differs from the order given. */
  readonly reordered: boolean;
  /** The caches judged in `order`, with the generated layer in place. */
  readonly verdicts: readonly CacheVerdict[];
  readonly generated: readonly GeneratedCache[];
}

const key = (e: LdCacheEntryFields) => `${e.soname}\0${e.flags}\0${e.hwcapsName ?? ""}`;

function merged(path: string, order: readonly string[], caches: readonly LayerCache[]): LdCacheEntryFields[] {
  const rank = new Map(order.map((n, i) => [n, i]));
  const byKey = new Map<string, LdCacheEntryFields>();
  const atPath = caches.filter((c) => c.path === path);
  atPath.sort((a, b) => (rank.get(a.layer) ?? 0) - (rank.get(b.layer) ?? 0));
  for (const c of atPath) {
    for (const e of c.entries) {
      byKey.set(key(e), {
        soname: e.soname,
        path: e.path,
        flags: e.flags,
        ...(e.hwcapsName === undefined ? {} : { hwcapsName: e.hwcapsName }),
        ...(e.isaLevel === undefined ? {} : { isaLevel: e.isaLevel }),
      });
    }
  }
  return [...byKey.values()];
}

/**
 * Plans the order of `given` (layer names, bottom to top as the user listed them): each cache path that loses
 * libraries is fixed by moving a complete cache's layer above its rivals, changing as little as possible; what
 * no move fixes gets a generated cache.
 */
export function planOverlay(
  given: readonly string[],
  caches: readonly LayerCache[],
  libraries: readonly LayerLibrary[],
): OverlayPlan {
  let order = [...given];
  let verdicts = judgeLdCaches(order, caches, libraries);
  // Each move puts a complete cache on top of its path; bounded so two paths that want opposite orders end.
  for (let i = 0; i <= given.length; i++) {
    const fix = verdicts.find((v) => v.missing.length > 0 && v.fixOrder);
    if (fix?.fixOrder === undefined) break;
    order = [...fix.fixOrder];
    verdicts = judgeLdCaches(order, caches, libraries);
  }
  const reordered = order.some((n, i) => n !== given[i]);
  const unfixed = verdicts.filter((v) => v.missing.length > 0);
  if (unfixed.length === 0) return { order, reordered, verdicts, generated: [] };
  const generated = unfixed.map((v): GeneratedCache => {
    const libs = merged(v.path, order, caches);
    const listed = new Set(libs.map((l) => l.soname));
    return { path: v.path, libs, missing: v.missing.filter((m) => !listed.has(m.soname)) };
  });
  const withLayer = [...order, GENERATED_CACHE_LAYER];
  const extra: LayerCache[] = generated.map((g) => ({
    layer: GENERATED_CACHE_LAYER,
    path: g.path,
    entries: g.libs,
  }));
  return {
    order: withLayer,
    reordered,
    verdicts: judgeLdCaches(withLayer, [...caches, ...extra], libraries),
    generated,
  };
}
