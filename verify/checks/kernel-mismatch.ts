import { type Check, findingOf } from "../../src/report/check.js";
import { certIdentity, type VerifyModel } from "../model.js";

export const kernelMismatch: Check<VerifyModel> = {
  code: "TE2002",
  title: "Artifacts carry different kernel images",
  severity: "error",
  explain:
    "An installer can embed a stale kernel while the modules were signed against a newer build (or the reverse): " +
    "same version, different throw-away key. The node boots the installer's kernel, so the modules are rejected.",
  fix: "Rebuild the installer-base and installer from the kernel package the modules were built and signed against.",
  run(model) {
    const ref = model.kernel;
    if (ref === undefined) return [];
    return model.artifacts.flatMap((a) =>
      a.kernel === undefined || a.kernel.digest === ref.digest
        ? []
        : [
            findingOf(this, {
              artifact: a.file,
              path: a.kernel.location,
              message:
                `${a.kernel.release} with ${a.kernel.certs.map(certIdentity).join(", ") || "no certificate"} ` +
                `differs from ${ref.location}: ${ref.release} with ${ref.certs.map(certIdentity).join(", ") || "no certificate"}`,
            }),
          ],
    );
  },
};
