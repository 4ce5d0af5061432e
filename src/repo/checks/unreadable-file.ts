import type { Check } from "../../report/check.js";
import { findingOf } from "../../report/check.js";
import type { RepoModel } from "../model.js";
import { at } from "./utils/finding.js";
import { concernsSelected } from "./utils/selection.js";

export const unreadableFile: Check<RepoModel> = {
  code: "TE5101",
  title: "Repository file cannot be read",
  severity: "error",
  explain:
    "bldr reads every pkg.yaml, vars.yaml, *.tmpl and the Pkgfile before it builds anything; malformed YAML, a " +
    "value of the wrong shape, binary bytes or a symlink that leads nowhere stop the whole build, and the checks " +
    "that depend on the file cannot run.",
  fix: "Fix the file at the place given: valid YAML (string values in vars.yaml), text, and symlinks that resolve inside the repository.",
  run(model) {
    return model.problems
      .filter((p) => concernsSelected(model, p.file))
      .map((p) => findingOf(this, at(p.file, p.place, p.message)));
  },
};
