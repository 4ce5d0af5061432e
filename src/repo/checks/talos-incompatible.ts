import type { Check } from "../../report/check.js";
import { findingOf } from "../../report/check.js";
import { checkCompatibility } from "../../talos/rules.js";
import type { RepoModel } from "../model.js";
import { at } from "./utils/finding.js";
import { manifestField } from "./utils/manifest-field.js";
import { selected } from "./utils/selection.js";

export const talosIncompatible: Check<RepoModel> = {
  code: "TE5113",
  title: "Compatibility constraint excludes the Talos release being built for",
  severity: "error",
  explain:
    "The imager checks each extension's compatibility.talos.version against the installer's Talos version and " +
    "refuses the extension when it does not match; an image built for this release and tagged with it would " +
    "never install on it.",
  fix: 'Widen compatibility.talos.version (e.g. ">= v1.9.0") or build for a Talos release inside it.',
  run(model) {
    const talos = model.talos;
    if (talos === undefined) return [];
    return selected(model).flatMap((ext) => {
      const field = manifestField(ext, ["metadata", "compatibility", "talos", "version"]);
      if (field?.value === undefined) return [];
      const result = checkCompatibility(field.value, talos.version);
      if (result.status !== "incompatible") return [];
      return [findingOf(this, at(ext.manifestFile, field.place, `${result.message} (from ${talos.origin})`))];
    });
  },
};
