import { type Check, findingOf } from "../../src/report/check.js";
import { imagerInputOrder } from "../../src/talos/layer-order.js";
import { judgeLdCaches } from "../../src/talos/overlay.js";
import type { VerifyModel } from "../model.js";

/** The layers the imager adds itself, below and above the extensions it is given. */
const IMAGER_LAYERS = new Set(["rootfs", "modules.dep"]);

/**
 * How to get a stacking from the imager: from 11 extensions on it does not stack them in the order given
 * (talos/layer-order), so the order to hand it is said when it differs from the stacking.
 */
function inputHint(stacking: readonly string[]): string {
  const exts = stacking.filter((n) => !IMAGER_LAYERS.has(n));
  const input = imagerInputOrder(exts);
  if (input.every((n, i) => n === exts[i])) return "";
  return ` The imager stacks ${exts.length} extensions in the string order of their indices (0, 1, 10, 11, 2, ...): hand them to it as ${input.join(", ")}.`;
}

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
            const order = v.fixOrder ? ` Order that fixes it: ${v.fixOrder.join(", ")}.${inputHint(v.fixOrder)}` : "";
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
