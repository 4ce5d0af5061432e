import { type Check, findingOf } from "../../src/report/check.js";
import { formatManifestIssue } from "../../src/talos/manifest.js";
import type { VerifyModel } from "../model.js";
import { userExtensions } from "./utils/extensions.js";

export const manifestSchema: Check<VerifyModel> = {
  code: "TE5001",
  title: "Extension manifest is invalid",
  severity: "error",
  explain:
    "Talos reads each extension's manifest when it builds and boots an installer; a manifest it refuses drops " +
    "the extension, and one with a missing name or version shows up as an anonymous layer nobody can trace.",
  fix: "Fix manifest.yaml as the message says: version: v1alpha1, and metadata with name, version, author, description and compatibility.talos.version.",
  run(model) {
    return [...userExtensions(model)].flatMap(({ artifact, extension }) => {
      const file = extension.manifestFile;
      // Only what Talos itself refuses: the extensions repository's own conventions are `talos-ext check`'s.
      return extension.issues
        .filter((i) => i.rejectedBy === "talos")
        .map((i) =>
          findingOf(this, {
            artifact: artifact.file,
            path: file ?? extension.location,
            // An installer's metadata has no file of its own to point into: the extension's layer is named.
            ...(file ? { line: i.line, column: i.column } : {}),
            message: file ? formatManifestIssue(i) : `${i.key ? `${i.key}: ` : ""}${i.message}`,
          }),
        );
    });
  },
};
