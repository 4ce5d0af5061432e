import type { Check } from "../../report/check.js";
import { findingOf } from "../../report/check.js";
import type { RepoModel } from "../model.js";
import { at } from "./utils/finding.js";
import { manifestField } from "./utils/manifest-field.js";
import { selected } from "./utils/selection.js";

export const nameMismatch: Check<RepoModel> = {
  code: "TE5108",
  title: "Manifest name differs from the package name",
  severity: "error",
  explain:
    "The image is built and pushed under pkg.yaml's name, and extensions-validator compares it with the " +
    "manifest's metadata.name; where they differ (or the test step is missing) the node lists the extension " +
    "under another name than the image it came from, and Image Factory and `talosctl get extensions` disagree.",
  fix: "Give metadata.name in the manifest exactly the value of name in pkg.yaml.",
  run(model) {
    return selected(model).flatMap((ext) => {
      const pkgName = ext.pkg.doc?.name;
      if (ext.pkg.doc !== undefined && pkgName === undefined) {
        return [findingOf(this, at(ext.pkg.file, { line: 1, column: 1 }, "pkg.yaml has no name: bldr refuses it"))];
      }
      const field = manifestField(ext, ["metadata", "name"]);
      if (pkgName === undefined || field?.value === undefined || field.value === "" || field.value === pkgName.value) {
        return [];
      }
      return [
        findingOf(
          this,
          at(
            ext.manifestFile,
            field.place,
            `metadata.name is ${JSON.stringify(field.value)}, pkg.yaml (line ${pkgName.place.line}) names the package ${JSON.stringify(pkgName.value)}`,
          ),
        ),
      ];
    });
  },
};
