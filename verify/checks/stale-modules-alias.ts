import { type Check, findingOf } from "../../src/report/check.js";
import type { ArtifactFact, ModuleFact, VerifyModel } from "../model.js";
import { describeCopy } from "./utils/module-copies.js";

/** The name depmod gives a module in its indexes: the file name without `.ko*`, `-` written `_`. */
const depmodName = (m: ModuleFact): string =>
  (m.path.slice(m.path.lastIndexOf("/") + 1).replace(/\.ko(\.[a-z]+)?$/, "") as string).replaceAll("-", "_");

const sameSet = (a: ReadonlySet<string>, b: ReadonlySet<string>): boolean =>
  a.size === b.size && [...a].every((x) => b.has(x));

const list = (xs: Iterable<string>): string => [...xs].sort().join(", ");

/** What choosing a module's expected copy needs of its artifact, computed once per artifact. */
interface CopyContext {
  readonly order: ReadonlyMap<string, number>;
  /** The full paths modules.dep lists, when the artifact has one. */
  readonly depPaths?: ReadonlySet<string>;
}

function copyContext(artifact: ArtifactFact): CopyContext {
  const dep = artifact.modulesDep;
  return {
    order: new Map(artifact.layers.map((l, i) => [l.name, i])),
    ...(dep === undefined ? {} : { depPaths: new Set(dep.paths.map((p) => `/usr/lib/modules/${dep.release}/${p}`)) }),
  };
}

/**
 * The copy whose aliases modules.alias should carry: the topmost one (the extension's, as TE3002 expects it to
 * be loaded), unless every copy is the base image's, where modules.dep's choice stands.
 */
function expectedCopy(ctx: CopyContext, copies: readonly ModuleFact[]): ModuleFact {
  const sorted = [...copies].sort((a, b) => (ctx.order.get(a.layer) ?? 0) - (ctx.order.get(b.layer) ?? 0));
  const top = sorted[sorted.length - 1] as ModuleFact;
  const listed = ctx.depPaths;
  if (top.layer !== "rootfs" || listed === undefined) return top;
  return sorted.find((c) => listed.has(c.path)) ?? top;
}

export const staleModulesAlias: Check<VerifyModel> = {
  code: "TE3003",
  title: "modules.alias carries another copy's aliases for a module",
  severity: "warning",
  explain:
    "udev loads a driver for a device through modules.alias, which depmod writes from the alias= entries of the " +
    "copy it chose. A modules.alias written for an older copy (or kept from an earlier build) lacks the device " +
    "IDs the new module claims, so the module is never loaded for those devices, and nothing says so.",
  fix:
    "Regenerate modules.dep and modules.alias together over the rootfs and all extensions (the imager does this " +
    "when it builds the installer; do not reuse a cached modules.dep layer), and remove the stale copy.",
  run(model) {
    return model.artifacts.flatMap((artifact) => {
      const index = artifact.modulesAlias;
      if (index === undefined) return [];
      const listed = new Map<string, Set<string>>();
      for (const { alias, module } of index.aliases) {
        const name = module.replaceAll("-", "_");
        listed.set(name, (listed.get(name) ?? new Set()).add(alias));
      }
      const byName = new Map<string, ModuleFact[]>();
      for (const m of artifact.modules) {
        const name = depmodName(m);
        const copies = byName.get(name);
        if (copies === undefined) byName.set(name, [m]);
        else copies.push(m);
      }
      const ctx = copyContext(artifact);
      const at = { artifact: artifact.file, path: index.location };
      const findings = [];
      for (const [name, copies] of [...byName].sort(([a], [b]) => (a < b ? -1 : 1))) {
        const want = expectedCopy(ctx, copies);
        const expected = new Set(want.aliases);
        const got = listed.get(name) ?? new Set<string>();
        if (sameSet(expected, got)) continue;
        const stale = [...got].filter((a) => !expected.has(a));
        const missing = [...expected].filter((a) => !got.has(a));
        const owner = copies.find((c) => c !== want && sameSet(new Set(c.aliases), got));
        const parts = [];
        if (stale.length > 0) {
          parts.push(
            `maps ${list(stale)} to ${name}, ` +
              (owner ? `aliases of ${describeCopy(owner)}` : "which no copy of it in this artifact declares"),
          );
        }
        if (missing.length > 0) parts.push(`lacks ${list(missing)}`);
        findings.push(
          findingOf(this, {
            ...at,
            message: `modules.alias ${parts.join(" and ")}; ${describeCopy(want)} declares ${list(expected) || "no alias"}`,
          }),
        );
      }
      for (const [name, aliases] of listed) {
        if (!byName.has(name)) {
          findings.push(
            findingOf(this, { ...at, message: `modules.alias maps ${list(aliases)} to ${name}, which no layer ships` }),
          );
        }
      }
      return findings;
    });
  },
};
