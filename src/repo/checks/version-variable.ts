import type { Check } from "../../report/check.js";
import { findingOf } from "../../report/check.js";
import type { RepoModel } from "../model.js";
import { at } from "./utils/finding.js";
import { manifestField } from "./utils/manifest-field.js";
import { selected } from "./utils/selection.js";

export const versionVariable: Check<RepoModel> = {
  code: "TE5109",
  title: "Manifest version is not the package's VERSION",
  severity: "error",
  explain:
    "The release names each image by VERSION (the Makefile's image list runs `bldr eval --target NAME " +
    "'{{.VERSION}}'`), while the node reports the manifest's metadata.version; when the two differ, or VERSION is " +
    "not defined and evaluates to <no value>, the catalog and the node name different versions of one image.",
  fix: 'Define VERSION in the extension\'s vars.yaml and write version: "{{ .VERSION }}" in manifest.yaml.tmpl.',
  run(model) {
    return selected(model).flatMap((ext) => {
      const field = manifestField(ext, ["metadata", "version"]);
      if (field === undefined) return [];
      const version = ext.pkg.scope.def("VERSION");
      if (version === undefined) {
        return [
          findingOf(
            this,
            at(
              ext.manifestFile,
              field.place,
              `VERSION is not defined for ${ext.name}: the release lists its image as <no value>`,
            ),
          ),
        ];
      }
      if (field.value === version.value) return [];
      const where = version.place ? `${version.origin}:${version.place.line}` : version.origin;
      return [
        findingOf(
          this,
          at(
            ext.manifestFile,
            field.place,
            `metadata.version renders as ${JSON.stringify(field.value ?? "")}, VERSION (${where}) as ${JSON.stringify(version.value)}`,
          ),
        ),
      ];
    });
  },
};
