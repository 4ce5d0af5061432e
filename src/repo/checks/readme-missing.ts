import type { Check } from "../../report/check.js";
import { findingOf } from "../../report/check.js";
import type { Extension, RepoModel } from "../model.js";
import { at } from "./utils/finding.js";
import { isServiceSpec } from "./utils/paths.js";
import { selected } from "./utils/selection.js";

const services = (model: RepoModel, ext: Extension): string[] =>
  [...model.rootfsOf(ext).keys()].filter((p) => isServiceSpec(p));

/**
 * Upstream keeps no README for most extensions (30 of 88 at commit 26822f5): its catalog (hack/catalog.template)
 * links each directory and shows the manifest's description, which is all a firmware or driver package needs.
 * A service is different: it is configured per node with an ExtensionServiceConfig document, whose files and
 * environment only a README names, so a service without one is worth a note, not a warning.
 */
export const readmeMissing: Check<RepoModel> = {
  code: "TE5112",
  title: "Extension service has no README",
  severity: "info",
  explain:
    "An extension service is configured on each node through an ExtensionServiceConfig document (config files " +
    "and environment); the catalog shows only the manifest's description, so without a README the operator does " +
    "not learn which files or variables the service reads.",
  fix: "Add README.md to the extension's directory (or to the directory that groups its variants) with an example ExtensionServiceConfig.",
  run(model) {
    return selected(model).flatMap((ext) => {
      const specs = services(model, ext);
      if (ext.readme !== undefined || specs.length === 0) return [];
      return [
        findingOf(
          this,
          at(
            ext.pkg.file,
            undefined,
            `no README.md in ${ext.dir || "."} or a directory above it for the service ${specs.join(", ")}`,
          ),
        ),
      ];
    });
  },
};
