import type { Check } from "../../report/check.js";
import { findingOf } from "../../report/check.js";
import type { Install } from "../installs.js";
import type { RepoModel } from "../model.js";
import { at, plural } from "./utils/finding.js";
import { moduleName } from "./utils/paths.js";
import { pointAt, type Shipped, shipped } from "./utils/shipped.js";

export const sharedModuleName: Check<RepoModel> = {
  code: "TE3102",
  title: "Two extensions ship a kernel module of the same name",
  severity: "warning",
  explain:
    "The kernel knows a module by its name, not its path: the imager runs depmod over all extensions' modules, " +
    "and for two files of one name only one is ever loaded. Which one depends on depmod's search order, so a " +
    "custom build (the P2P-patched nvidia.ko) can lose to a stock one without any error.",
  fix: "Ship each module from one extension only; do not put a stock and a custom build of one driver in the same installer.",
  run(model) {
    const byName = new Map<string, { s: Shipped; e: Install }[]>();
    for (const s of shipped(model)) {
      for (const e of s.entries.values()) {
        const name = e.kind === "file" || e.kind === "symlink" ? moduleName(e.path) : undefined;
        if (name === undefined) continue;
        const list = byName.get(name) ?? [];
        list.push({ s, e });
        byName.set(name, list);
      }
    }
    const groups = new Map<string, { providers: Shipped[]; names: string[]; copies: { s: Shipped; e: Install }[] }>();
    for (const [name, copies] of [...byName].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const providers = [...new Set(copies.map((c) => c.s))];
      // The same path in several extensions is TE3101's; here the copies sit at different paths.
      if (providers.length < 2 || new Set(copies.map((c) => c.e.path)).size < 2) continue;
      if (pointAt(model, providers) === undefined) continue;
      const key = providers.map((p) => p.ext.dir).join("\0");
      const g = groups.get(key) ?? { providers, names: [], copies: [] };
      g.names.push(name);
      g.copies.push(...copies);
      groups.set(key, g);
    }
    return [...groups.values()].map((g) => {
      const target = pointAt(model, g.providers) as Shipped;
      const mine = g.copies.find((c) => c.s === target) as { e: Install };
      const copies = g.copies.map((c) => `${c.s.ext.name}:${c.e.path}`).join(", ");
      return findingOf(
        this,
        at(
          mine.e.origin.file,
          mine.e.origin.place,
          `${plural(g.names.length, "module")} ${g.names.join(", ")} shipped by ${g.providers.map((p) => p.ext.name).join(" and ")}: ${copies}`,
        ),
      );
    });
  },
};
