/** The Go templates bldr renders: undefined variables, syntax errors, and what this tool does not evaluate. */
import type { Check } from "../../report/check.js";
import { findingOf } from "../../report/check.js";
import type { RepoModel, TemplateFile } from "../model.js";
import { at, concernsSelected } from "./common.js";

const relevant = (model: RepoModel): TemplateFile[] => model.templates.filter((t) => concernsSelected(model, t.file));

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
    for (const t of relevant(model)) {
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

export const templateSyntax: Check<RepoModel> = {
  code: "TE5106",
  title: "Template does not parse",
  severity: "error",
  explain:
    "bldr parses every pkg.yaml, vars.yaml and *.tmpl as a Go template before the build starts; one that does not " +
    "parse stops every build of the repository, not only this package's.",
  fix: "Close every {{ … }} action and every {{ if }} with {{ end }}; quote string literals.",
  run(model) {
    return relevant(model).flatMap((t) =>
      t.result.issues
        .filter((i) => i.kind === "syntax")
        .map((i) => findingOf(this, at(t.file, t.map.sourcePlace(i.offset), `template: ${i.message}`))),
    );
  },
};

export const templateNotEvaluated: Check<RepoModel> = {
  code: "TE5107",
  title: "Template construct not evaluated by talos-ext",
  severity: "info",
  explain:
    "talos-ext evaluates the template subset siderolabs/extensions uses (variables, if/else with eq and ne, " +
    "substr, replace); other sprig functions and control structures are left out of the rendered text, so checks " +
    "on that file may miss what they produce.",
  fix: "Nothing is wrong with the build; prefer the common subset where it is enough.",
  run(model) {
    return relevant(model).flatMap((t) =>
      t.result.issues
        .filter((i) => i.kind === "unsupported")
        .map((i) => findingOf(this, at(t.file, t.map.sourcePlace(i.offset), `template: ${i.message}`))),
    );
  },
};
