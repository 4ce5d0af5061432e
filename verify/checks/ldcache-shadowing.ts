import { type Check, findingOf } from "../../src/report/check.js";
import { judgeLdCaches } from "../../src/talos/overlay.js";
import type { VerifyModel } from "../model.js";

export const ldcacheShadowing: Check<VerifyModel> = {
  code: "TE4002",
  title: "The winning ld.so.cache drops shipped libraries",
  severity: "error",
  explain:
    "Two extensions ship the same ld.so.cache and the later one wins. When the winner was made without the other " +
    "layer's libraries (glibc's cache over the NVIDIA toolkit's), libcuda.so.1 and friends vanish from the " +
    "loader's view: CDI generation fails and the GPU operator crashes with no hint of the cause.",
  fix: "Put the extension whose cache lists every library last, or ship one cache generated over all layers (talos-ext build does this).",
  run(model) {
    // Only an installer stacks layers; a lone extension or package image has no overlay to judge.
    return model.artifacts
      .filter((a) => a.layers.length > 0)
      .flatMap((artifact) =>
        judgeLdCaches(
          artifact.layers.map((l) => l.name),
          artifact.caches,
          artifact.libraries,
        )
          .filter((v) => v.missing.length > 0)
          .map((v) => {
            const lost = v.shadowed.map((s) => `${s.layer}'s entries ${s.lost.join(", ")}`).join("; ");
            const order = v.fixOrder ? ` Order that fixes it: ${v.fixOrder.join(", ")}.` : "";
            return findingOf(this, {
              artifact: artifact.file,
              path: v.path,
              message:
                `${v.winner}'s ${v.path} wins over ${v.providers.slice(0, -1).join(", ")} and lacks ` +
                `${v.missing.map((m) => `${m.soname} (${m.layer}:${m.path})`).join(", ")}` +
                `${lost ? `; it shadows ${lost}` : ""}.${order}`,
            });
          }),
      );
  },
};
