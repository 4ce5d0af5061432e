/** The stages a package builds on. */
import type { Package } from "../model.js";

/** `pkg` and every stage below it through its dependencies; a stage cycle contributes nothing the second time. */
export function stagesOf(
  pkg: Package,
  packagesByName: ReadonlyMap<string, Package>,
  seen: Set<Package> = new Set(),
): Set<Package> {
  if (seen.has(pkg)) return seen;
  seen.add(pkg);
  for (const dep of pkg.doc?.dependencies ?? []) {
    const p = dep.stage === undefined ? undefined : packagesByName.get(dep.stage);
    if (p !== undefined) stagesOf(p, packagesByName, seen);
  }
  return seen;
}
