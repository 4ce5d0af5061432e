import type { Check } from "../../report/check.js";
import { findingOf } from "../../report/check.js";
import { checkExtensionLayout } from "../../talos/layout.js";
import type { RepoModel } from "../model.js";
import { at } from "./utils/finding.js";
import { selected } from "./utils/selection.js";

export const imageLayout: Check<RepoModel> = {
  code: "TE5118",
  title: "Extension image holds more than manifest.yaml and rootfs",
  severity: "error",
  explain:
    "Talos loads an extension from its image's top level and accepts only manifest.yaml and the rootfs " +
    "directory (extensions.Load); any other entry fails the load, in extensions-validator at build time and " +
    "in the imager.",
  fix: "Finalize only /rootfs to /rootfs and /pkg/manifest.yaml to /; put anything else under /rootfs.",
  run(model) {
    return selected(model).flatMap((ext) => {
      const top = model.topLevelOf(ext);
      // Only an extra entry is reported: a manifest or rootfs the static reading misses is no evidence.
      const [message] = checkExtensionLayout([...top.keys()]);
      const name = message === undefined ? undefined : /^unexpected file "(.*)"$/.exec(message)?.[1];
      const e = name === undefined ? undefined : top.get(name);
      if (e === undefined) return [];
      return [
        findingOf(
          this,
          at(e.origin.file, e.origin.place, `${ext.name}: Talos refuses the image: ${message} at its top level`),
        ),
      ];
    });
  },
};
