import { type Check, findingOf } from "../../src/report/check.js";
import { checkExtensionTree } from "../../src/talos/rules.js";
import type { VerifyModel } from "../model.js";
import { talosVersionOf, userExtensions } from "./utils/extensions.js";

export const extensionPaths: Check<VerifyModel> = {
  code: "TE5003",
  title: "Extension ships a path or file type Talos does not allow",
  severity: "error",
  explain:
    "Talos allows extensions to add files only under a few roots, and only directories, regular files and " +
    "symlinks; anything else makes the extension fail validation or is never seen on the node.",
  fix: "Install the file under an allowed root for this Talos release (e.g. /usr/local, /usr/lib/modules, /usr/lib/firmware), as a regular file with sane permissions.",
  run(model) {
    const talos = talosVersionOf(model);
    if (talos === undefined) return [];
    return [...userExtensions(model)].flatMap(({ artifact, extension }) =>
      checkExtensionTree(extension.entries, talos)
        .filter((v) => v.rule !== "world-writable")
        .map((v) =>
          findingOf(this, { artifact: artifact.file, path: `${extension.location}!${v.path}`, message: v.message }),
        ),
    );
  },
};
