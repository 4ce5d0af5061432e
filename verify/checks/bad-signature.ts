import { type Check, findingOf } from "../../src/report/check.js";
import { certIdentity, type VerifyModel } from "../model.js";
import { onThisBoot } from "./utils/enforcement.js";
import { allModules } from "./utils/signatures.js";

export const badSignature: Check<VerifyModel> = {
  code: "TE1003",
  title: "Module signature does not verify",
  severity: "error",
  explain:
    "The module names the kernel's key as its signer, but its bytes are not what was signed: it was changed " +
    "after signing (stripped, patched, re-linked). The kernel rejects it exactly as if it were unsigned.",
  fix: "Sign the module as the very last step, after stripping (INSTALL_MOD_STRIP=1 strips before signing), and do not touch it afterwards.",
  run(model) {
    return [...allModules(model)].flatMap(({ artifact, module }) =>
      module.trust.kind === "bad-signature"
        ? [
            findingOf(this, {
              artifact: artifact.file,
              path: module.location,
              message: `${module.name}: the signature by ${certIdentity(module.trust.cert)} does not match the module's contents${onThisBoot(model)}`,
            }),
          ]
        : [],
    );
  },
};
