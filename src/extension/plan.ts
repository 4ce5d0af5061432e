/**
 * The overlay order for a set of extensions: the order to give Talos' imager such that every ld.so.cache path is
 * won by a cache that lists every library the layers ship under it. Where no order does it, because no shipped
 * cache is complete, a cache covering every layer's entries is generated to be shipped as its own layer, placed
 * on top. The imager of Talos >= 1.5 stacks its inputs in the string order of their indices (talos/layer-order),
 * so the plan judges the stacking the node will see and gives the input order that produces the stacking it wants.
 */
import type { LdCacheEntryFields } from "../formats/ldcache/entry.js";
import { imagerInputOrder, imagerStackOrder } from "../talos/layer-order.js";
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
  /** Layer names as the node stacks them, bottom to top, the generated cache layer last when there is one. */
  readonly order: readonly string[];
  /** The order to give the imager so that it stacks `order`. */
  readonly input: readonly string[];
  /** Whether `input` differs from the order given. */
  readonly reordered: boolean;
  /** The order given as the imager would stack it, where its sort changes it (11 or more extensions). */
  readonly resorted?: readonly string[];
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

/** Whether the extensions given are handed over in another order (the generated layer aside). */
const changed = (input: readonly string[], given: readonly string[]): boolean =>
  input.filter((n) => n !== GENERATED_CACHE_LAYER).some((n, i) => n !== given[i]);

const stackOf = (input: readonly string[]): string[] => imagerStackOrder(input.length).map((i) => input[i] as string);

/**
 * Plans the order of `given` (layer names in the order the user would hand them to the imager): each cache path
 * that loses libraries in the stacking the imager makes of them is fixed by moving a complete cache's layer
 * above its rivals, changing as little as possible; what no move fixes gets a generated cache.
 */
export function planOverlay(
  given: readonly string[],
  caches: readonly LayerCache[],
  libraries: readonly LayerLibrary[],
): OverlayPlan {
  const stacked = stackOf(given);
  const resorted = stacked.some((n, i) => n !== given[i]) ? { resorted: stacked } : {};
  let order = stacked;
  let verdicts = judgeLdCaches(order, caches, libraries);
  // Each move puts a complete cache on top of its path; bounded so two paths that want opposite orders end.
  for (let i = 0; i <= given.length; i++) {
    const fix = verdicts.find((v) => v.missing.length > 0 && v.fixOrder);
    if (fix?.fixOrder === undefined) break;
    order = [...fix.fixOrder];
    verdicts = judgeLdCaches(order, caches, libraries);
  }
  const unfixed = verdicts.filter((v) => v.missing.length > 0);
  if (unfixed.length === 0) {
    const input = imagerInputOrder(order);
    return { order, input, reordered: changed(input, given), ...resorted, verdicts, generated: [] };
  }
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
  const input = imagerInputOrder(withLayer);
  return {
    order: withLayer,
    input,
    reordered: changed(input, given),
    ...resorted,
    verdicts: judgeLdCaches(withLayer, [...caches, ...extra], libraries),
    generated,
  };
}
