/** The manifest rules of Talos and of siderolabs/extensions' validator, on each rendered manifest. */
import type { Check } from "../../report/check.js";
import { findingOf } from "../../report/check.js";
import type { ManifestRejection } from "../../talos/manifest.js";
import type { RepoModel } from "../model.js";
import { at, selected } from "./common.js";

function issuesOf(model: RepoModel, rejectedBy: ManifestRejection) {
  return selected(model).flatMap((ext) => {
    const m = ext.manifest;
    if (m === undefined) return [];
    return m.parse.issues
      .filter((i) => i.rejectedBy === rejectedBy)
      .map((i) => at(m.file, m.map.placeOfRendered(i), `${i.key ? `${i.key}: ` : ""}${i.message}`));
  });
}

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

export const manifestIgnoredKey: Check<RepoModel> = {
  code: "TE5104",
  title: "Manifest key that Talos ignores",
  severity: "warning",
  explain:
    "Talos decodes only the keys it knows and drops the rest without a word: a misspelt key (compatability, " +
    "descripton) leaves its value unused, and an unset compatibility constraint accepts every Talos release.",
  fix: "Spell the key as Talos does (metadata.name, version, author, description, compatibility.talos.version, extraInfo) or remove it.",
  run(model) {
    return issuesOf(model, "none").map((a) => findingOf(this, a));
  },
};
