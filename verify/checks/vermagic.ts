import { vermagicMatchesRelease, vermagicRelease } from "../../src/formats/elf/vermagic.js";
import { type Check, findingOf } from "../../src/report/check.js";
import type { VerifyModel } from "../model.js";
import { allModules } from "./utils/signatures.js";

export const vermagic: Check<VerifyModel> = {
  code: "TE2001",
  title: "Module built for another kernel release",
  severity: "error",
  explain:
    'The kernel refuses a module whose vermagic names another release ("disagrees about version of symbol" or ' +
    '"version magic" in the kernel log); on Talos nobody reads that log before the GPU is missed.',
  fix: "Build the module against the headers of the exact kernel in this installer (SYSSRC pointing at that kernel's build tree).",
  run(model) {
    const kernel = model.kernel;
    if (kernel === undefined) return [];
    return [...allModules(model)].flatMap(({ artifact, module }) => {
      if (module.vermagic === undefined) {
        return [
          findingOf(this, {
            artifact: artifact.file,
            path: module.location,
            message: `${module.name} has no vermagic`,
          }),
        ];
      }
      if (vermagicMatchesRelease(module.vermagic, kernel.release)) return [];
      const release = vermagicRelease(module.vermagic);
      return [
        findingOf(this, {
          artifact: artifact.file,
          path: module.location,
          message: `${module.name} is built for ${release}; the kernel (${kernel.location}) is ${kernel.release}`,
        }),
      ];
    });
  },
};
