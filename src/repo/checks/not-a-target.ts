import type { Check } from "../../report/check.js";
import { findingOf } from "../../report/check.js";
import type { RepoModel } from "../model.js";
import { untargeted } from "./utils/consumers.js";
import { at } from "./utils/finding.js";

export const notATarget: Check<RepoModel> = {
  code: "TE5114",
  title: "Extension is not a build target",
  severity: "error",
  explain:
    "The Makefile that kres generates from .kres.yaml builds and pushes only the listed targets; an extension " +
    "missing from the list that no other package builds as a stage passes review, is never built or published, " +
    "and is absent from the release without any error.",
  fix: "Add the package name to spec.targets (or an additionalTargets group) of the pkgfile.Build document in .kres.yaml and run kres.",
  run(model) {
    return (
      untargeted(model)
        // Built as another package's stage: left out of the targets on purpose (TE5116 says so).
        .filter(({ by }) => by.length === 0)
        .map(({ ext, name, kresFile }) =>
          findingOf(this, at(ext.pkg.file, name.place, `${name.value} is not among the targets of ${kresFile}`)),
        )
    );
  },
};
