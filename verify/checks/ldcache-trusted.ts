import { type Check, findingOf } from "../../src/report/check.js";
import type { VerifyModel } from "../model.js";
import { cacheContext } from "./ldcache-shadowing.js";
import { cacheLosses, named } from "./utils/ldcache.js";

export const ldcacheTrusted: Check<VerifyModel> = {
  code: "TE4004",
  title: "The winning ld.so.cache drops libraries that ld.so still finds",
  severity: "warning",
  explain:
    "ld.so looks a library up in ld.so.cache and, on a miss, in its trusted directories (glibc's slibdir and " +
    "libdir, where libc.so.6 sits): a library there still loads when the winning cache lacks it. Tools that " +
    "read the cache itself (nvidia-ctk, ldconfig -p) do not see it, and a later layer's library of the same " +
    "soname elsewhere is no longer preferred.",
  fix: "Put the extension whose cache lists every library last, or ship one cache generated over all layers (talos-ext build does this).",
  run(model) {
    return cacheLosses(model.artifacts)
      .filter((l) => l.trusted.length > 0)
      .map((l) => {
        const { head, tail } = cacheContext(l.verdict);
        return findingOf(this, {
          artifact: l.artifact.file,
          path: l.verdict.path,
          message: `${head} and lacks ${named(l.trusted)}; ld.so still loads them from its trusted directory ${l.trustedDirs.join(", ")} after the cache miss, but nothing that reads the cache sees them${tail}`,
        });
      });
  },
};
