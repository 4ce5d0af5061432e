/** Shared by the repository checks: which findings concern the selected extensions, and where a place is. */
import type { FindingAt } from "../../report/check.js";
import type { Extension, RepoModel } from "../model.js";
import type { Place } from "../source.js";
import { mapGet, nodePlace, parseYaml, scalarText } from "../yaml.js";

/** A finding's location in a repository file. */
export const at = (file: string, place: Place | undefined, message: string): FindingAt => ({
  artifact: file,
  ...(place ? { line: place.line, column: place.column } : {}),
  message,
});

/** Whether a file feeds the build of any selected extension (every file does when all are selected). */
export function concernsSelected(model: RepoModel, file: string): boolean {
  if (model.selected.size === model.extensions.length) return true;
  return [...model.selected].some((e) => model.inputsOf(e).has(file));
}

/** The selected extensions, in directory order. */
export const selected = (model: RepoModel): Extension[] => model.extensions.filter((e) => model.selected.has(e));

export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

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
