import type { Check } from "../../report/check.js";
import { findingOf } from "../../report/check.js";
import type { RepoModel } from "../model.js";
import { at } from "./utils/finding.js";
import { selected } from "./utils/selection.js";

export const readmeMissing: Check<RepoModel> = {
  code: "TE5112",
  title: "Extension has no README",
  severity: "warning",
  explain:
    "A node operator learns from the README which kernel modules to load, which machine config the extension " +
    "needs (modprobe options, sysctls, runtime classes) and how to test it; without one, a missing setting looks " +
    "like a broken extension.",
  fix: "Add README.md to the extension's directory (or to the directory that groups its variants).",
  run(model) {
    return selected(model)
      .filter((ext) => ext.readme === undefined)
      .map((ext) =>
        findingOf(this, at(ext.pkg.file, undefined, `no README.md in ${ext.dir || "."} or a directory above it`)),
      );
  },
};
