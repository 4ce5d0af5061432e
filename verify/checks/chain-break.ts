import { type Check, findingOf } from "../../src/report/check.js";
import { type ArtifactFact, certIdentity, type ModuleFact, sigIdentity, type VerifyModel } from "../model.js";

const identity = (m: ModuleFact): string =>
  m.trust.kind === "unsigned" ? "no signature" : m.signature ? sigIdentity(m.signature) : m.trust.kind;

/**
 * Follows each module through the links of the chain in order (kernel, installer-base, module package,
 * sysext wrapper, installer) and names the first link whose copy is no longer signed by the kernel's key.
 */
export const chainBreak: Check<VerifyModel> = {
  code: "TE1006",
  title: "The signing chain breaks at this link",
  severity: "error",
  explain:
    "The key travels through five artifacts: kernel image, installer-base, module package, sysext wrapper, final " +
    "installer. A stale build cache or a regenerated key in any one of them silently swaps the module for one " +
    "the kernel will not load; every link after it inherits the fault.",
  fix:
    "Rebuild from the named link on, with caches for it cleared, signing with the kernel build's key; then run " +
    "`talos-ext verify` over all five artifacts again.",
  run(model) {
    if (model.artifacts.length < 2 || model.kernel === undefined) return [];
    const byName = new Map<string, { artifact: ArtifactFact; module: ModuleFact }[]>();
    for (const artifact of model.artifacts) {
      for (const module of artifact.modules) {
        if (module.layer === "rootfs") continue; // in-tree modules travel with the kernel, not through the chain
        const list = byName.get(module.name) ?? [];
        list.push({ artifact, module });
        byName.set(module.name, list);
      }
    }
    const kernelKeys = model.kernel.certs.map(certIdentity).join(", ");
    const findings = [];
    for (const [name, links] of [...byName].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const broken = links.findIndex((l) => l.module.trust.kind !== "trusted");
      if (broken < 0) continue;
      const at = links[broken] as (typeof links)[number];
      const before = broken > 0 ? links[broken - 1] : undefined;
      const previous =
        before === undefined
          ? "it is the first link that carries the module"
          : `the ${before.artifact.role} link (${before.artifact.file}) before it carries ${identity(before.module)}`;
      findings.push(
        findingOf(this, {
          artifact: at.artifact.file,
          path: at.module.location,
          message:
            `${name}: the chain breaks at the ${at.artifact.role} link: this copy carries ${identity(at.module)}, ` +
            `${previous}; the kernel carries ${kernelKeys}`,
        }),
      );
    }
    return findings;
  },
};
