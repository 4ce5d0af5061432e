import { type Check, findingOf } from "../../src/report/check.js";
import type { VerifyModel } from "../model.js";

export const unreadableFile: Check<VerifyModel> = {
  code: "TE9001",
  title: "File inside the artifact cannot be read",
  severity: "error",
  explain:
    "A module, ld.so.cache, depmod index or modprobe.d file is malformed where its format fixes what must be " +
    "there: the kernel, the loader or modprobe refuses it as well. The rest of the artifact was read and judged.",
  fix: "Rebuild the file (re-sign the module, rerun ldconfig or depmod) and the image that carries it.",
  run(model) {
    return model.artifacts.flatMap((artifact) =>
      artifact.faults.map((f) =>
        findingOf(this, {
          artifact: artifact.file,
          path: f.location,
          message:
            `${f.path} in ${f.layer} cannot be read: ${f.file}, offset ${f.offset} (${f.structure}): ` +
            `expected ${f.expected}${f.found === undefined ? "" : `, found ${f.found}`}`,
        }),
      ),
    );
  },
};
