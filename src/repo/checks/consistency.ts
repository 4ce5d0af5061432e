/** Agreement between pkg.yaml, the manifest, vars.yaml and .kres.yaml for each extension. */
import type { Check } from "../../report/check.js";
import { findingOf } from "../../report/check.js";
import type { RepoModel } from "../model.js";
import { at, manifestField, selected } from "./common.js";

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

export const notATarget: Check<RepoModel> = {
  code: "TE5114",
  title: "Extension is not a build target",
  severity: "error",
  explain:
    "The Makefile that kres generates from .kres.yaml builds and pushes only the listed targets; an extension " +
    "missing from the list passes review, is never built or published, and is absent from the release without " +
    "any error.",
  fix: "Add the package name to spec.targets (or an additionalTargets group) of the pkgfile.Build document in .kres.yaml and run kres.",
  run(model) {
    const kres = model.kres;
    if (kres === undefined) return [];
    return selected(model).flatMap((ext) => {
      const name = ext.pkg.doc?.name;
      if (name === undefined || kres.names.has(name.value)) return [];
      return [findingOf(this, at(ext.pkg.file, name.place, `${name.value} is not among the targets of ${kres.file}`))];
    });
  },
};
