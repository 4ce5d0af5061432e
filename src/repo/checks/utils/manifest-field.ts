import type { Extension } from "../../model.js";
import type { Place } from "../../source.js";
import { mapGet, nodePlace, parseYaml, scalarText } from "../../yaml.js";

/**
 * A value of the rendered manifest, by key path, with its place in the manifest's source (the nearest key
 * present when it is missing); undefined when the manifest was not readable.
 */
export function manifestField(ext: Extension, path: readonly string[]): { value?: string; place: Place } | undefined {
  const m = ext.manifest;
  if (m === undefined || m.parse.manifest === undefined) return undefined;
  const parsed = parseYaml(m.map);
  if ("errors" in parsed) return undefined;
  const { doc } = parsed;
  let node: unknown = doc.contents;
  let place = nodePlace(m.map, node);
  for (const key of path) {
    const entry = mapGet(doc, node, key);
    if (entry === undefined) return { place };
    node = entry.value;
    place = nodePlace(m.map, entry.value ?? entry.keyNode, nodePlace(m.map, entry.keyNode));
  }
  const value = scalarText(doc, node);
  return { ...(value === undefined ? {} : { value }), place };
}
