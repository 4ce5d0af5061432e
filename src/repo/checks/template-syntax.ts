import type { Check } from "../../report/check.js";
import { findingOf } from "../../report/check.js";
import type { RepoModel } from "../model.js";
import { at } from "./utils/finding.js";
import { relevantTemplates } from "./utils/selection.js";

export const templateSyntax: Check<RepoModel> = {
  code: "TE5106",
  title: "Template does not parse",
  severity: "error",
  explain:
    "bldr parses every pkg.yaml, vars.yaml and *.tmpl as a Go template before the build starts; one that does not " +
    "parse stops every build of the repository, not only this package's.",
  fix: "Close every {{ … }} action and every {{ if }} with {{ end }}; quote string literals.",
  run(model) {
    return relevantTemplates(model).flatMap((t) =>
      t.result.issues
        .filter((i) => i.kind === "syntax")
        .map((i) => findingOf(this, at(t.file, t.map.sourcePlace(i.offset), `template: ${i.message}`))),
    );
  },
};
