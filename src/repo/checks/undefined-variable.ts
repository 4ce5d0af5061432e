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
  fix:
    "Define the variable in the package's vars.yaml or one above it (or the Pkgfile's vars), or list the build " +
    "argument in .kres.yaml's extraBuildArgs; a build argument that is optional on purpose is tested against " +
    "<no value> in the file that uses it.",
  run(model) {
    const out = [];
    for (const t of relevantTemplates(model)) {
      const seen = new Set<number>();
      // bldr passes every --build-arg the build gets (pkgfile/build.go merges them as BUILD_ARG_*), not only
      // extraBuildArgs: `make target-X TARGET_ARGS="--build-arg=…"` sets one per run. A file that tests for
      // <no value> itself (grype-scan's GRYPE_EXTRA_ARGS) treats such an argument as optional.
      const optional = t.map.source.includes("<no value>");
      for (const ref of t.result.refs) {
        if (t.scope.def(ref.name) !== undefined || seen.has(ref.offset)) continue;
        if (optional && ref.name.startsWith("BUILD_ARG_")) continue;
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
