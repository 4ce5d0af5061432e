import type { Check } from "../../report/check.js";
import { findingOf } from "../../report/check.js";
import type { RepoModel } from "../model.js";
import { at } from "./utils/finding.js";
import { relevantTemplates } from "./utils/selection.js";

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
    return relevantTemplates(model).flatMap((t) =>
      t.result.issues
        .filter((i) => i.kind === "unsupported")
        .map((i) => findingOf(this, at(t.file, t.map.sourcePlace(i.offset), `template: ${i.message}`))),
    );
  },
};
