import { type Check, findingOf } from "../../src/report/check.js";
import { imagerInputOrder } from "../../src/talos/layer-order.js";
import type { CacheVerdict } from "../../src/talos/overlay.js";
import type { VerifyModel } from "../model.js";
import { cacheLosses, named } from "./utils/ldcache.js";

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

/** Which cache wins, what it shadows, and the order that fixes it: shared by TE4002 and TE4004. */
export function cacheContext(v: CacheVerdict): { head: string; tail: string } {
  const lost = v.shadowed.map((s) => `${s.layer}'s entries ${s.lost.join(", ")}`).join("; ");
  const order = v.fixOrder ? ` Order that fixes it: ${v.fixOrder.join(", ")}.${inputHint(v.fixOrder)}` : "";
  return {
    head: `${v.winner}'s ${v.path} wins over ${v.providers.slice(0, -1).join(", ")}`,
    tail: `${lost ? `; it shadows ${lost}` : ""}.${order}`,
  };
}

export const ldcacheShadowing: Check<VerifyModel> = {
  code: "TE4002",
  title: "The winning ld.so.cache drops libraries nothing else finds",
  severity: "error",
  explain:
    "Two extensions ship the same ld.so.cache and the later one wins. nvidia-ctk finds NVIDIA's driver " +
    "libraries only through that cache (CDI generation looks up libcuda.so.1 and friends there, not in " +
    "/usr/local/lib), and ld.so finds a library outside its trusted directories only through it: when the " +
    "winner lacks them, CDI generation fails and the GPU operator crashes, or programs fail to start, with no " +
    "hint of the cause.",
  fix: "Put the extension whose cache lists every library last, or ship one cache generated over all layers (talos-ext build does this).",
  run(model) {
    return cacheLosses(model.artifacts)
      .filter((l) => l.nvidia.length > 0 || l.untrusted.length > 0)
      .map((l) => {
        const { head, tail } = cacheContext(l.verdict);
        const parts = [
          ...(l.nvidia.length > 0 ? [`${named(l.nvidia)}, which nvidia-ctk (CDI generation) then cannot find`] : []),
          ...(l.untrusted.length > 0
            ? [
                `${named(l.untrusted)}, outside ld.so's trusted directories (${l.trustedDirs.join(", ") || "none shipped"}), so programs fail to load them`,
              ]
            : []),
        ];
        return findingOf(this, {
          artifact: l.artifact.file,
          path: l.verdict.path,
          message: `${head} and lacks ${parts.join("; and ")}${tail}`,
        });
      });
  },
};
