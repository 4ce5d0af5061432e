import type { Check } from "../../report/check.js";
import { findingOf } from "../../report/check.js";
import type { Install } from "../installs.js";
import type { RepoModel } from "../model.js";
import { acceptedBy } from "./utils/exceptions.js";
import { at } from "./utils/finding.js";
import { isLinkerConfig } from "./utils/paths.js";
import { conflicts, pointAt, where } from "./utils/shipped.js";

export const linkerConfigShared: Check<RepoModel> = {
  code: "TE4101",
  title: "Two extensions ship the dynamic loader's cache or configuration",
  severity: "error",
  explain:
    "ld.so.cache and ld.so.conf decide where programs find their libraries. When two extensions ship one, the " +
    "copy in the later layer wins and the other's library entries vanish: with the glibc extension above the " +
    "NVIDIA toolkit, libcuda.so.1 is no longer found, CDI generation fails and the GPU operator crashes, with " +
    "nothing on the node naming the cause.",
  fix:
    "Ship the cache from one extension only, generated over every library directory; where one extension ships " +
    "another's files on purpose, list both in hack/test/exceptions-<arch>.yaml and check the installer's winning " +
    "cache with talos-ext verify.",
  run(model) {
    return (
      conflicts(model)
        .filter((c) => isLinkerConfig(c.path))
        // Listed in hack/test/exceptions-*.yaml: shared on purpose (the NVIDIA toolkit ships glibc's files), and
        // which cache wins on a node is what `talos-ext verify` (TE4002) judges.
        .filter(
          (c) =>
            acceptedBy(
              model,
              c.path,
              c.providers.map((p) => p.ext.name),
            ) === undefined,
        )
        .flatMap((c) => {
          const target = pointAt(model, c.providers);
          if (target === undefined) return [];
          const e = target.entries.get(c.path) as Install;
          return [
            findingOf(
              this,
              at(
                e.origin.file,
                e.origin.place,
                `${c.path} is shipped by ${c.providers.map((p) => where(p, c.path)).join(" and ")}; the later layer's copy hides the other's`,
              ),
            ),
          ];
        })
    );
  },
};
