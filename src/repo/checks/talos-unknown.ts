import type { Check } from "../../report/check.js";
import { findingOf } from "../../report/check.js";
import type { RepoModel } from "../model.js";
import { at } from "./utils/finding.js";

export const talosUnknown: Check<RepoModel> = {
  code: "TE5115",
  title: "Talos release unknown: paths and constraints not checked",
  severity: "info",
  explain:
    "Allowed install paths and the compatibility constraint depend on the Talos release; .kres.yaml's PKGS " +
    "default (which follows Talos releases) or --talos says which one, and neither was there.",
  fix: "Pass --talos vX.Y.Z, or keep the PKGS default in .kres.yaml.",
  run(model) {
    if (model.talos !== undefined || model.selected.size === 0) return [];
    return [findingOf(this, at(model.talosHint, undefined, "no Talos version: TE5111 and TE5113 did not run"))];
  },
};
