/** The Pkgfile: its text (for the frontend line) and its global `vars`. */
import { decodeStringMap, type VarDef } from "../vars.js";
import { mapGet, parseYaml, TextMap } from "../yaml.js";
import type { RepoFiles } from "./files.js";

export interface Pkgfile {
  /** Undefined when there is none or it cannot be read. */
  readonly text?: string;
  readonly vars: ReadonlyMap<string, VarDef>;
}

export async function readPkgfile(files: RepoFiles): Promise<Pkgfile> {
  const text = await files.readIfFile("Pkgfile");
  if (text === undefined) return { vars: new Map() };
  return { text, vars: pkgfileVars(files, text) };
}

/** The `vars` map; malformed YAML or values leave it empty or partial, with the errors as problems. */
function pkgfileVars(files: RepoFiles, text: string): Map<string, VarDef> {
  const map = new TextMap("Pkgfile", text);
  const parsed = parseYaml(map);
  if ("errors" in parsed) {
    for (const e of parsed.errors) files.problems.push({ file: "Pkgfile", ...e });
    return new Map();
  }
  const vars = mapGet(parsed.doc, parsed.doc.contents, "vars")?.value;
  const decoded = decodeStringMap(parsed.doc, vars, map, "Pkgfile");
  for (const e of decoded.errors) files.problems.push({ file: "Pkgfile", ...e });
  return decoded.vars;
}
