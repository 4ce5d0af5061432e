import type { Check } from "../../report/check.js";
import { findingOf } from "../../report/check.js";
import type { RepoModel } from "../model.js";
import { issuesOf } from "./utils/manifest-issues.js";

export const manifestRefusedByValidator: Check<RepoModel> = {
  code: "TE5103",
  title: "The extensions validator refuses the manifest",
  severity: "error",
  explain:
    "siderolabs/extensions runs extensions-validator in each package's test step; it requires the package name " +
    "and a version in one of its formats. A template that renders a version as <no value> or leaves the name " +
    "empty fails there, or ships unnoticed where the test step was left out.",
  fix: "Render metadata.name from the package and metadata.version from VERSION in vars.yaml, in a format the validator accepts.",
  run(model) {
    return issuesOf(model, "extensions-validator").map((a) => findingOf(this, a));
  },
};
