import { type Check, findingOf } from "../../src/report/check.js";
import type { VerifyModel } from "../model.js";

/** os-release's PRETTY_NAME, else NAME and VERSION_ID, as systemd-boot shows the entry. */
function osName(osRelease: string): string | undefined {
  const field = (k: string) => new RegExp(`^${k}=(.*)$`, "m").exec(osRelease)?.[1]?.replace(/^"(.*)"$/, "$1");
  return field("PRETTY_NAME") ?? [field("NAME"), field("VERSION_ID")].filter(Boolean).join(" ");
}

export const bootAssets: Check<VerifyModel> = {
  code: "TE8001",
  title: "What the UKI boots",
  severity: "info",
  explain:
    "A UKI fixes the kernel's command line and identity at build time: the signer Secure Boot checks, the " +
    ".cmdline the kernel gets (no machine config changes it) and the .osrel systemd-boot shows. Shown so a " +
    "reviewer sees what the node will run.",
  fix: "Nothing to fix; change the UKI's settings at build time (the imager's extra kernel arguments) if they are not what you meant.",
  run(model) {
    return model.artifacts.flatMap((a) => {
      const uki = a.boot?.uki;
      if (uki === undefined) return [];
      const signers = uki.signatures.map((s) => `${s.signer}${s.verifies ? "" : " (does not verify)"}`);
      const e = a.kernel?.enforcement;
      const enforcement =
        e?.kind === "enforced" ? `enforced by ${e.by}` : e?.kind === "off" ? `off: ${e.why}` : (e?.kind ?? "unknown");
      const parts = [
        signers.length > 0 ? `signed by ${signers.join(", ")}` : "unsigned",
        ...(uki.osRelease ? [`os-release ${osName(uki.osRelease)}`] : []),
        ...(uki.uname ? [`kernel ${uki.uname}`] : []),
        `command line "${uki.cmdline ?? ""}"`,
        `module signatures ${enforcement}`,
      ];
      return [findingOf(this, { artifact: a.file, path: uki.location, message: parts.join("; ") })];
    });
  },
};
