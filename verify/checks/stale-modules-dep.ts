import { type Check, findingOf } from "../../src/report/check.js";
import type { VerifyModel } from "../model.js";
import { describeCopy, moduleCopies } from "./utils/module-copies.js";

export const staleModulesDep: Check<VerifyModel> = {
  code: "TE3002",
  title: "modules.dep points at an older copy of an extension's module",
  severity: "error",
  explain:
    "modprobe resolves a module name through modules.dep. When it names the base image's copy instead of the " +
    "extension's, the extension's module is never loaded, and nothing says so.",
  fix:
    "Regenerate modules.dep over the rootfs and all extensions (the imager does this when it builds the installer) " +
    "and remove the stale copy; install extension modules where depmod's search order prefers them (updates/ or extras/).",
  run(model) {
    return model.artifacts.flatMap((artifact) =>
      moduleCopies(artifact).flatMap(({ name, copies, loaded }) => {
        const top = copies[copies.length - 1] as (typeof copies)[number];
        if (loaded === undefined || loaded === top || top.layer === "rootfs") return [];
        return [
          findingOf(this, {
            artifact: artifact.file,
            path: artifact.modulesDep?.location ?? top.location,
            message: `modules.dep loads ${describeCopy(loaded)} for ${name}, not ${describeCopy(top)}`,
          }),
        ];
      }),
    );
  },
};
