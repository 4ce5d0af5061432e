import { type Check, findingOf } from "../../src/report/check.js";
import { checkCompatibility } from "../../src/talos/rules.js";
import type { VerifyModel } from "../model.js";
import { talosVersionOf, userExtensions } from "./utils/extensions.js";

export const talosCompatibility: Check<VerifyModel> = {
  code: "TE5002",
  title: "Extension is not compatible with the installer's Talos version",
  severity: "error",
  explain:
    "Each extension declares the Talos versions it supports; the imager refuses an installer whose Talos version " +
    "falls outside, and an extension built for another release usually carries modules for another kernel.",
  fix: "Use the extension build made for this Talos release, or correct compatibility.talos.version if the extension really supports it.",
  run(model) {
    const talos = talosVersionOf(model);
    if (talos === undefined) return [];
    return [...userExtensions(model)].flatMap(({ artifact, extension }) => {
      const constraint = extension.manifest?.metadata.compatibility.talos.version;
      if (constraint === undefined) return [];
      const r = checkCompatibility(constraint, talos);
      // A constraint that does not parse is the manifest check's (TE5001): one fault, one finding.
      return r.status === "incompatible"
        ? [
            findingOf(this, {
              artifact: artifact.file,
              path: extension.manifestFile ?? extension.location,
              message: r.message,
            }),
          ]
        : [];
    });
  },
};
