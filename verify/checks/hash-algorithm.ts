import { type Check, findingOf } from "../../src/report/check.js";
import type { VerifyModel } from "../model.js";
import { allModules } from "./utils/signatures.js";

/**
 * The kernel's CONFIG_MODULE_SIG_HASH is not in the image; the in-tree modules its own build signed (trusted
 * modules of the rootfs or the kernel package) say what it is.
 */
export const hashAlgorithm: Check<VerifyModel> = {
  code: "TE1005",
  title: "Module signed with another hash algorithm than the kernel's modules",
  severity: "warning",
  explain:
    "The kernel build signs its own modules with CONFIG_MODULE_SIG_HASH (sha512 for Talos). A module hashed " +
    "otherwise was signed outside that build, and a kernel without that hash built in cannot check it.",
  fix: "Sign with the same hash as the kernel build: scripts/sign-file sha512 ...",
  run(model) {
    const counts = new Map<string, number>();
    for (const { module } of allModules(model)) {
      if (module.layer === "rootfs" && module.trust.kind === "trusted" && module.signature) {
        counts.set(module.signature.hashAlgo, (counts.get(module.signature.hashAlgo) ?? 0) + 1);
      }
    }
    const kernelHash = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0];
    if (kernelHash === undefined) return [];
    return [...allModules(model)]
      .filter(({ module }) => module.signature !== undefined && module.signature.hashAlgo !== kernelHash)
      .map(({ artifact, module }) =>
        findingOf(this, {
          artifact: artifact.file,
          path: module.location,
          message: `${module.name} is hashed with ${module.signature?.hashAlgo}; the kernel's own modules use ${kernelHash}`,
        }),
      );
  },
};
