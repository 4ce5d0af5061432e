import type { Check } from "../../report/check.js";
import { findingOf } from "../../report/check.js";
import { globMatch } from "../build/paths.js";
import type { RepoModel } from "../model.js";
import { at } from "./utils/finding.js";
import { selected } from "./utils/selection.js";

export const buildInputMissing: Check<RepoModel> = {
  code: "TE5110",
  title: "A file the build reads from /pkg is not in the build context",
  severity: "error",
  explain:
    "bldr copies the package's directory to /pkg (minus what its context filter excludes) and adds the output of " +
    "each *.tmpl; a step that reads a /pkg file that is missing fails the build, and one that copies a directory " +
    "or a glob (cp -R /pkg/files/*) silently ships without the file.",
  fix: "Add the file to the package directory, fix the path in pkg.yaml, or rename a file that bldr's context filter excludes.",
  run(model) {
    const out = [];
    const seen = new Set<string>();
    for (const ext of selected(model)) {
      for (const { pkg, ref } of model.refsOf(ext)) {
        const key = `${pkg.file}\0${ref.origin.place.line}\0${ref.path}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const matches = (p: string) => (ref.glob ? globMatch(ref.path, p) : p === ref.path);
        if (pkg.templates.some((t) => matches(t.output))) continue;
        const prefix = pkg.dir === "" ? "" : `${pkg.dir}/`;
        const present = [...model.tree.entries.keys()]
          .filter((p) => p.startsWith(prefix) && matches(p.slice(prefix.length)))
          .filter((p) => !ref.glob || model.tree.entries.get(p) !== "dir");
        const shipped = present.filter((p) => model.context.excludedBy(p) === undefined);
        if (shipped.length > 0) continue;
        const shown = `/pkg/${ref.path}`;
        let message: string;
        if (present.length === 0) {
          message = `${shown}: ${prefix}${ref.path} ${ref.glob ? "matches nothing" : "does not exist"} in the repository`;
        } else {
          const file = present[0] as string;
          const pattern = model.context.excludedBy(file) as string;
          const bldr = model.context.bldrVersion ? `bldr ${model.context.bldrVersion}` : "bldr";
          message = `${shown}: ${file} is excluded from the build context by ${bldr}'s pattern ${JSON.stringify(pattern)}`;
        }
        out.push(findingOf(this, at(ref.origin.file, ref.origin.place, message)));
      }
    }
    return out;
  },
};
