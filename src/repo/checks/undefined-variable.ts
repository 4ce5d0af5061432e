import type { Check } from "../../report/check.js";
import { findingOf } from "../../report/check.js";
import type { RepoModel } from "../model.js";
import { at } from "./utils/finding.js";
import { relevantTemplates } from "./utils/selection.js";

export const undefinedVariable: Check<RepoModel> = {
  code: "TE5105",
  title: "Template uses a variable that is not defined",
  severity: "error",
  explain:
    "bldr renders templates with Go's text/template over a map of strings: a variable that no vars.yaml, Pkgfile " +
    "var, build argument or bldr default defines prints as <no value> and the build goes on, so a version, URL or " +
    "description carries the literal text <no value>.",
  fix: "Define the variable in the package's vars.yaml or one above it (or the Pkgfile's vars), or list the build argument in .kres.yaml's extraBuildArgs.",
  run(model) {
    const out = [];
    for (const t of relevantTemplates(model)) {
      const seen = new Set<number>();
      for (const ref of t.result.refs) {
        if (t.scope.def(ref.name) !== undefined || seen.has(ref.offset)) continue;
        seen.add(ref.offset);
        const hint = ref.name.startsWith("BUILD_ARG_")
          ? `the build argument ${ref.name.slice("BUILD_ARG_".length)} is not in .kres.yaml's extraBuildArgs`
          : "no vars.yaml above this file, the Pkgfile or bldr defines it";
        out.push(
          findingOf(this, at(t.file, t.map.sourcePlace(ref.offset), `.${ref.name} renders as <no value>: ${hint}`)),
        );
      }
    }
    return out;
  },
};
