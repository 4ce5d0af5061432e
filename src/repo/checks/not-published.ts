import type { Check } from "../../report/check.js";
import { findingOf } from "../../report/check.js";
import type { RepoModel } from "../model.js";
import { untargeted } from "./utils/consumers.js";
import { at } from "./utils/finding.js";

/**
 * An extension kept out of .kres.yaml's targets while other packages still build it: upstream disables one
 * this way (qemu, "chore: disable qemu"), and CI keeps building and scanning it through reproducibility and
 * grype-scan. Nothing is wrong; the finding says that no image of it is published.
 */
export const notPublished: Check<RepoModel> = {
  code: "TE5116",
  title: "Extension is built but not published",
  severity: "info",
  explain:
    "The Makefile kres generates pushes only the targets and additionalTargets of .kres.yaml; an extension that " +
    "is only a stage of other packages is built and tested with them, but no image of it is pushed, so the " +
    "release and its catalog do not offer it.",
  fix: "Nothing to fix when the extension is disabled on purpose; add it to spec.targets of .kres.yaml to publish it.",
  run(model) {
    return untargeted(model)
      .filter(({ by }) => by.length > 0)
      .map(({ ext, name, kresFile, by }) =>
        findingOf(
          this,
          at(
            ext.pkg.file,
            name.place,
            `${name.value} is not among the targets of ${kresFile}; ${by.join(" and ")} build it as a stage, so it is built but no image is pushed`,
          ),
        ),
      );
  },
};
