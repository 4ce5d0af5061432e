import type { Check } from "../../report/check.js";
import { findingOf } from "../../report/check.js";
import type { RepoModel } from "../model.js";
import { issuesOf } from "./utils/manifest-issues.js";

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
