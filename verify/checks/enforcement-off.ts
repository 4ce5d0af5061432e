import { type Check, findingOf } from "../../src/report/check.js";
import type { VerifyModel } from "../model.js";

export const enforcementOff: Check<VerifyModel> = {
  code: "TE1007",
  title: "Module signatures are not enforced on this boot",
  severity: "warning",
  explain:
    "With CONFIG_MODULE_SIG_FORCE off, no module.sig_enforce=1 and no lockdown on the command line, the kernel " +
    "loads a module whose signature is missing, foreign or broken and only taints itself. Nothing then stops a " +
    "stale or tampered module: the other signature findings describe what would load unchecked.",
  fix:
    "Boot with module.sig_enforce=1 (Talos' default from v1.12; do not remove it with -module.sig_enforce), or " +
    "sign the UKI for Secure Boot, which locks the kernel down.",
  run(model) {
    return model.artifacts.flatMap((a) => {
      const e = a.boot === undefined ? undefined : a.kernel?.enforcement;
      if (a.kernel === undefined || (e?.kind !== "off" && e?.kind !== "unchecked")) return [];
      const why = e.kind === "off" ? e.why : "the kernel is built without CONFIG_MODULE_SIG: it checks no signature";
      return [findingOf(this, { artifact: a.file, path: a.kernel.location, message: `${a.kernel.release}: ${why}` })];
    });
  },
};
