import type { Check } from "../../report/check.js";
import { findingOf } from "../../report/check.js";
import type { Install } from "../installs.js";
import type { RepoModel } from "../model.js";
import { acceptedBy } from "./utils/exceptions.js";
import { at, plural } from "./utils/finding.js";
import { isLinkerConfig } from "./utils/paths.js";
import { conflicts, pointAt, type Shipped, where } from "./utils/shipped.js";

/** depmod output at a release's root: the imager regenerates it in the last layer, by design. */
const isDepmodOutput = (path: string): boolean => /^\/(usr\/)?lib\/modules\/[^/]+\/modules\.[^/]+$/.test(path);

export const sharedPath: Check<RepoModel> = {
  code: "TE3101",
  title: "Two extensions install the same path",
  severity: "warning",
  explain:
    "Talos stacks the extensions as overlay layers, and for a path shipped by two of them the one later in " +
    "extensions.yaml wins; the other's file is invisible on the node, and which one wins depends on how the " +
    "installer was composed, not on this repository.",
  fix:
    "Ship each path from one extension (a shared stage that both copy from is the usual cause); where sharing is " +
    "meant, list the images and the path in hack/test/exceptions-<arch>.yaml, which upstream's duplicate check reads.",
  run(model) {
    const groups = new Map<string, { providers: Shipped[]; paths: string[] }>();
    for (const c of conflicts(model)) {
      if (isLinkerConfig(c.path) || isDepmodOutput(c.path)) continue;
      if (
        acceptedBy(
          model,
          c.path,
          c.providers.map((p) => p.ext.name),
        ) !== undefined
      )
        continue;
      if (pointAt(model, c.providers) === undefined) continue;
      const key = c.providers.map((p) => p.ext.dir).join("\0");
      const g = groups.get(key) ?? { providers: c.providers, paths: [] };
      g.paths.push(c.path);
      groups.set(key, g);
    }
    return [...groups.values()].map((g) => {
      const target = pointAt(model, g.providers) as Shipped;
      const first = g.paths[0] as string;
      const e = target.entries.get(first) as Install;
      const shown = g.paths.slice(0, 5).join(", ") + (g.paths.length > 5 ? `, and ${g.paths.length - 5} more` : "");
      return findingOf(
        this,
        at(
          e.origin.file,
          e.origin.place,
          `${g.providers.map((p) => p.ext.name).join(" and ")} both install ${plural(g.paths.length, "path")}: ${shown}; ` +
            `${first} comes from ${g.providers.map((p) => where(p, first)).join(" and ")}`,
        ),
      );
    });
  },
};
