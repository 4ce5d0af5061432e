import { type Check, findingOf } from "../../src/report/check.js";
import { checkExtensionTree } from "../../src/talos/rules.js";
import type { VerifyModel } from "../model.js";
import { talosVersionOf, userExtensions } from "./utils/extensions.js";

/**
 * Talos' validateContents means to refuse world-writable entries but tests `DirEntry.Type().Perm()`, which
 * holds no permission bits (pkg/machinery/extensions/validate.go), so every release lets them through.
 */
export const worldWritable: Check<VerifyModel> = {
  code: "TE5006",
  title: "World-writable entry that Talos lets through",
  severity: "warning",
  explain:
    "Talos' extension validation is written to refuse world-writable files, but its test reads the entry's type " +
    "bits instead of its mode, so no release refuses one: the file lands in the root overlay writable by every " +
    "user and container that can reach it.",
  fix: "Drop the o+w bit in the build (chmod o-w, or install -m 0644 / 0755).",
  run(model) {
    const talos = talosVersionOf(model);
    if (talos === undefined) return [];
    return [...userExtensions(model)].flatMap(({ artifact, extension }) =>
      checkExtensionTree(extension.entries, talos)
        .filter((v) => v.rule === "world-writable")
        .map((v) =>
          findingOf(this, {
            artifact: artifact.file,
            path: `${extension.location}!${v.path}`,
            message: `${v.path} is world-writable; Talos ${talos} accepts it (its check reads no permission bits)`,
          }),
        ),
    );
  },
};
