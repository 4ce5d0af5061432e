import type { Check } from "../../report/check.js";
import { findingOf } from "../../report/check.js";
import type { RepoModel } from "../model.js";
import { issuesOf } from "./utils/manifest-issues.js";

export const manifestRefusedByTalos: Check<RepoModel> = {
  code: "TE5102",
  title: "Talos refuses the extension's manifest",
  severity: "error",
  explain:
    "Talos reads manifest.yaml when the imager builds an installer and when the node boots; a manifest it refuses " +
    "fails the image build, or drops the extension from an installer that was assembled by other means.",
  fix: "Write the manifest Talos expects: version: v1alpha1, metadata as strings, and a compatibility constraint Talos can parse.",
  run(model) {
    return issuesOf(model, "talos").map((a) => findingOf(this, a));
  },
};
