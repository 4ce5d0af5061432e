/** `.kres.yaml`: the targets `make` builds, the build arguments it passes, and the Talos release they follow. */
import { type Document, parseAllDocuments } from "yaml";
import type { FileProblem, KresTargets, TalosTarget } from "../model.js";
import { mapEntries, mapGet, scalarText, seqItems, TextMap } from "../yaml.js";
import type { RepoFiles } from "./files.js";

export interface Kres extends KresTargets {
  readonly buildArgs: readonly string[];
  readonly defaults: ReadonlyMap<string, string>;
}

export async function loadKres(files: RepoFiles): Promise<Kres | undefined> {
  const text = await files.readIfFile(".kres.yaml");
  return text === undefined ? undefined : readKres(new TextMap(".kres.yaml", text), files.problems);
}

/** The `pkgfile.Build` document of `.kres.yaml`: targets, build arguments and their Makefile defaults. */
function readKres(map: TextMap, problems: FileProblem[]): Kres | undefined {
  const docs = parseAllDocuments(map.text, { prettyErrors: false });
  for (const doc of Array.isArray(docs) ? docs : []) {
    if (doc.errors.length > 0) {
      problems.push(...yamlProblems(map, doc));
      return undefined;
    }
    if (scalarText(doc, mapGet(doc, doc.contents, "kind")?.value) === "pkgfile.Build") return buildSpec(map, doc);
  }
  return undefined;
}

function yamlProblems(map: TextMap, doc: Document): FileProblem[] {
  return doc.errors.map((err) => {
    const place = map.place(err.pos[0]);
    return {
      file: map.file,
      place,
      message: `malformed YAML at line ${place.line}, column ${place.column}: ${err.message.replace(/\.$/, "")}`,
    };
  });
}

function buildSpec(map: TextMap, doc: Document): Kres {
  const spec = mapGet(doc, doc.contents, "spec")?.value;
  const strings = (node: unknown): string[] =>
    (seqItems(doc, node) ?? []).map((n) => scalarText(doc, n)).filter((s): s is string => s !== undefined);
  const names = new Set(strings(mapGet(doc, spec, "targets")?.value));
  for (const group of mapEntries(doc, mapGet(doc, spec, "additionalTargets")?.value) ?? []) {
    for (const n of strings(group.value)) names.add(n);
  }
  return {
    file: map.file,
    names,
    buildArgs: strings(mapGet(doc, spec, "extraBuildArgs")?.value),
    defaults: makefileDefaults(doc, spec),
  };
}

/** `makefile.extraVariables`: each variable's default value. */
function makefileDefaults(doc: Document, spec: unknown): Map<string, string> {
  const defaults = new Map<string, string>();
  const vars = mapGet(doc, mapGet(doc, spec, "makefile")?.value, "extraVariables")?.value;
  for (const v of seqItems(doc, vars) ?? []) {
    const name = scalarText(doc, mapGet(doc, v, "name")?.value);
    const value = scalarText(doc, mapGet(doc, v, "defaultValue")?.value);
    if (name !== undefined && value !== undefined) defaults.set(name, value);
  }
  return defaults;
}

/** The release to judge for: `--talos`, else the PKGS default when it reads as a version. */
export function talosTarget(option: string | undefined, kres: Kres | undefined): TalosTarget | undefined {
  if (option !== undefined) return { version: option, origin: "--talos" };
  const pkgs = kres?.defaults.get("PKGS");
  if (pkgs === undefined || !/^v?[0-9]+\.[0-9]+/.test(pkgs)) return undefined;
  return { version: pkgs, origin: ".kres.yaml (the PKGS default, which follows Talos releases)" };
}
