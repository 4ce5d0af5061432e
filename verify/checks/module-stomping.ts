import { type Check, findingOf } from "../../src/report/check.js";
import type { VerifyModel } from "../model.js";
import { describeCopy, moduleCopies } from "./utils/module-copies.js";

export const moduleStomping: Check<VerifyModel> = {
  code: "TE3001",
  title: "Two different copies of a module in one installer",
  severity: "warning",
  explain:
    "The rootfs (or another extension) ships an older build of a module the extension also ships. modprobe loads " +
    "whichever copy modules.dep names, and an initramfs or rootfs copy can silently win over the new one.",
  fix: "Remove the old copy from the base image or the other extension, or make sure the regenerated modules.dep names the intended one.",
  run(model) {
    return model.artifacts.flatMap((artifact) =>
      moduleCopies(artifact)
        .filter(({ copies }) => new Set(copies.map((c) => `${c.version}\0${c.srcversion}`)).size > 1)
        .map(({ name, copies, loaded }) =>
          findingOf(this, {
            artifact: artifact.file,
            path: (copies[copies.length - 1] as (typeof copies)[number]).location,
            message:
              `${name} is shipped ${copies.length} times: ${copies.map(describeCopy).join("; ")}. ` +
              (loaded ? `modules.dep loads ${describeCopy(loaded)}` : "modules.dep names none of them"),
          }),
        ),
    );
  },
};
