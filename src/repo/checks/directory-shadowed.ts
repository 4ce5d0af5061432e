import type { Check } from "../../report/check.js";
import { findingOf } from "../../report/check.js";
import type { Install } from "../installs.js";
import type { RepoModel } from "../model.js";
import { at } from "./utils/finding.js";
import { provenance } from "./utils/provenance.js";
import { shipped } from "./utils/shipped.js";

/** Every directory an extension's entries imply: explicit ones and the parents of everything. */
function directories(entries: ReadonlyMap<string, Install>): Map<string, Install> {
  const out = new Map<string, Install>();
  for (const e of entries.values()) {
    if (e.kind === "dir" || e.kind === "tree") out.set(e.path, e);
    for (let p = e.path.slice(0, e.path.lastIndexOf("/")); p !== ""; p = p.slice(0, p.lastIndexOf("/"))) {
      if (!out.has(p)) out.set(p, e);
    }
  }
  return out;
}

export const directoryShadowed: Check<RepoModel> = {
  code: "TE4102",
  title: "A directory in one extension is a file or symlink in another",
  severity: "error",
  explain:
    "In an overlay, a file or symlink in an upper layer hides a lower layer's whole directory at that path, and a " +
    "directory above hides the lower file or symlink: a library directory (/usr/local/lib64 as glibc's symlink to " +
    "lib, or a real directory of libraries) loses everything the other extension put there, depending on order.",
  fix: "Use the same kind of entry at that path in every extension: install into the directory the symlink points to, or drop the symlink.",
  run(model) {
    const all = shipped(model).map((s) => ({ s, dirs: directories(s.entries) }));
    const out = [];
    for (const a of all) {
      for (const e of a.s.entries.values()) {
        if (e.kind !== "file" && e.kind !== "symlink") continue;
        const others = all.filter((b) => b.s !== a.s && b.dirs.has(e.path));
        if (others.length === 0) continue;
        // At the file or symlink when its extension is under review, else at the last reviewed directory side.
        const dirSide = others.filter((b) => model.selected.has(b.s.ext)).pop();
        if (!model.selected.has(a.s.ext) && dirSide === undefined) continue;
        const origin = model.selected.has(a.s.ext) ? e : (dirSide?.dirs.get(e.path) as Install);
        const dirSides = others
          .map((b) => `${b.s.ext.name} (${provenance(b.dirs.get(e.path) as Install)})`)
          .join(" and ");
        out.push(
          findingOf(
            this,
            at(
              origin.origin.file,
              origin.origin.place,
              `${e.path} is a ${e.kind} in ${a.s.ext.name} (${provenance(e)}) and a directory in ${dirSides}`,
            ),
          ),
        );
      }
    }
    return out;
  },
};
