import { type Check, findingOf } from "../../src/report/check.js";
import type { VerifyModel } from "../model.js";

export const noKernel: Check<VerifyModel> = {
  code: "TE1004",
  title: "No kernel image to judge module signatures against",
  severity: "warning",
  explain:
    "Which key a module must be signed with is decided by the certificate built into the kernel image; without " +
    "one among the inputs, signed modules cannot be told from modules signed by a stale key.",
  fix: "Pass the kernel or installer image too, e.g. `talos-ext verify --kernel kernel.tar extension.tar`.",
  run(model) {
    if (model.kernel !== undefined) return [];
    return model.artifacts
      .filter((a) => a.modules.length > 0)
      .map((a) =>
        findingOf(this, {
          artifact: a.file,
          message: `${a.modules.length} module(s) could not be checked against a kernel`,
        }),
      );
  },
};
