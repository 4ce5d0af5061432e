/** The depmod outputs the stomping checks read (modules.dep, modules.alias), and which of them the overlay shows. */
import type { ModulesAliasFact, ModulesDepFact } from "./model.js";

/** The text files; the .bin files say the same. */
export const DEPMOD_INDEX = /^\/usr\/lib\/modules\/([^/]+)\/modules\.(dep|alias)$/;

/** A modules.dep or modules.alias of one layer, as read. */
export interface DepmodIndex {
  readonly location: string;
  readonly layer: string;
  readonly path: string;
  readonly release: string;
  readonly kind: "dep" | "alias";
  readonly text: string;
}

/** The index of `kind` the merged root shows: the topmost layer's. */
function winningIndex(
  layers: readonly { readonly indexes: readonly DepmodIndex[] }[],
  kind: DepmodIndex["kind"],
): DepmodIndex | undefined {
  for (const layer of [...layers].reverse()) {
    const found = layer.indexes.find((x) => x.kind === kind);
    if (found) return found;
  }
  return undefined;
}

/** `path: deps...` lines: the module paths, relative to the release directory. */
function depFact({ location, layer, release, text }: DepmodIndex): ModulesDepFact {
  const paths = text.split("\n").flatMap((l) => (l.includes(":") ? [l.slice(0, l.indexOf(":"))] : []));
  return { location, layer, release, paths };
}

/** `alias PATTERN MODULE` lines, as depmod writes one per alias= of the module it chose. */
function aliasFact({ location, layer, release, text }: DepmodIndex): ModulesAliasFact {
  const aliases = text.split("\n").flatMap((l) => {
    const words = l.trim().split(/\s+/);
    return words[0] === "alias" && words.length === 3
      ? [{ alias: words[1] as string, module: words[2] as string }]
      : [];
  });
  return { location, layer, release, aliases };
}

/** modules.dep and modules.alias as the overlay of `layers` (bottom to top) shows them. */
export function depmodFacts(layers: readonly { readonly indexes: readonly DepmodIndex[] }[]): {
  modulesDep?: ModulesDepFact;
  modulesAlias?: ModulesAliasFact;
} {
  const dep = winningIndex(layers, "dep");
  const alias = winningIndex(layers, "alias");
  return { ...(dep ? { modulesDep: depFact(dep) } : {}), ...(alias ? { modulesAlias: aliasFact(alias) } : {}) };
}
