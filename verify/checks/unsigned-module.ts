import { type Check, findingOf } from "../../src/report/check.js";
import type { VerifyModel } from "../model.js";
import { onThisBoot } from "./utils/enforcement.js";
import { allModules } from "./utils/signatures.js";

export const unsignedModule: Check<VerifyModel> = {
  code: "TE1001",
  title: "Kernel module is not signed",
  severity: "error",
  explain:
    "Talos boots with module.sig_enforce=1: the kernel refuses a module without a signature, and the only trace " +
    "is one line in the kernel log. The device it drives simply never appears.",
  fix:
    "Sign the module with the key of the exact kernel build it is for (scripts/sign-file sha512 signing_key.pem " +
    "signing_key.x509 module.ko) after stripping it, and rebuild the images that carry it.",
  run(model) {
    return [...allModules(model)]
      .filter(({ module }) => module.trust.kind === "unsigned")
      .map(({ artifact, module }) =>
        findingOf(this, {
          artifact: artifact.file,
          path: module.location,
          message: `${module.name} (${module.path} in ${module.layer}) carries no appended signature${onThisBoot(model)}`,
        }),
      );
  },
};
