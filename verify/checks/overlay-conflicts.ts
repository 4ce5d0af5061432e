import { type Check, findingOf } from "../../src/report/check.js";
import { pathConflicts } from "../../src/talos/overlay.js";
import type { VerifyModel } from "../model.js";

/** The generated modules.dep layer replaces the rootfs's depmod output by design; ld.so.cache has its own check. */
const judgedElsewhere = (path: string): boolean =>
  /^\/usr\/lib\/modules\/[^/]+\/modules\.[^/]+$/.test(path) || path.endsWith("/ld.so.cache");

export const overlayConflicts: Check<VerifyModel> = {
  code: "TE4001",
  title: "Path shipped by several layers",
  severity: "info",
  explain:
    "Talos stacks the extensions in extensions.yaml order over the rootfs, and for a path shipped twice the later " +
    "layer wins. Whatever the lower layers ship at that path is invisible on the node.",
  fix: "Ship each path from one extension, or order the extensions so the intended copy comes last.",
  run(model) {
    return model.artifacts.flatMap((artifact) =>
      pathConflicts(artifact.layers)
        .filter((c) => !judgedElsewhere(c.path))
        .map((c) =>
          findingOf(this, {
            artifact: artifact.file,
            path: c.path,
            message: `${c.path} is shipped by ${c.providers.join(", ")}; ${c.winner} wins`,
          }),
        ),
    );
  },
};
