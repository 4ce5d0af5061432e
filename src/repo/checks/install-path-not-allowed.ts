import type { Check } from "../../report/check.js";
import { findingOf } from "../../report/check.js";
import { checkExtensionTree, talosRules } from "../../talos/rules.js";
import type { Install } from "../installs.js";
import type { RepoModel } from "../model.js";
import { at } from "./utils/finding.js";
import { provenance } from "./utils/provenance.js";
import { selected } from "./utils/selection.js";

/**
 * A tree (a recursive copy whose content is unknown) breaks the rule only when nothing under it could be
 * allowed: it neither sits under an allowed root nor holds one.
 */
function treeAllowed(path: string, roots: readonly string[]): boolean {
  return roots.some((r) => path.startsWith(r) || r.startsWith(`${path}/`) || path === "/");
}

export const installPathNotAllowed: Check<RepoModel> = {
  code: "TE5111",
  title: "Extension installs outside the paths Talos allows",
  severity: "error",
  explain:
    "Talos accepts extension files only under a few roots, and the list changes between releases (/lib/modules " +
    "became /usr/lib/modules in v1.10); extensions-validator refuses the image in the build's test step, and " +
    "where that step is missing the installer build or the node refuses the extension.",
  fix: "Install under an allowed root of the targeted Talos release, e.g. /usr/local, /usr/lib/modules, /usr/lib/firmware, /usr/lib/udev/rules.d.",
  run(model) {
    const talos = model.talos;
    if (talos === undefined) return [];
    const roots = talosRules(talos.version).allowedPaths;
    // One finding per command that writes outside the allowed roots, listing what it writes.
    const byOrigin = new Map<string, { exts: string[]; e: Install; paths: string[] }>();
    for (const ext of selected(model)) {
      for (const e of model.rootfsOf(ext).values()) {
        let bad = false;
        // A shell variable in the path (`/usr/lib/${LD_LINUX_PATH}`) could expand to anything in its directory.
        const dollar = e.path.indexOf("$");
        const variable = dollar < 0 ? -1 : e.path.lastIndexOf("/", dollar);
        if (e.kind === "tree") bad = !treeAllowed(e.path, roots);
        else if (e.kind === "dir") bad = false;
        else if (variable >= 0) bad = !treeAllowed(e.path.slice(0, variable) || "/", roots);
        else {
          const kind = e.kind === "symlink" ? "symlink" : "file";
          const mode = kind === "symlink" ? 0o777 : 0o644;
          bad = checkExtensionTree([{ path: e.path, type: kind, mode }], talos.version).some(
            (v) => v.rule === "allowed-path",
          );
        }
        if (!bad) continue;
        // A stage shared by several extensions writes once: one finding at its line, naming them all.
        const key = `${e.origin.file}\0${e.origin.place.line}`;
        const group = byOrigin.get(key) ?? { exts: [], e, paths: [] };
        if (!group.exts.includes(ext.name)) group.exts.push(ext.name);
        const shown = e.kind === "tree" ? `${e.path}/…` : e.path;
        if (!group.paths.includes(shown)) group.paths.push(shown);
        byOrigin.set(key, group);
      }
    }
    return [...byOrigin.values()].map(({ exts, e, paths }) =>
      findingOf(
        this,
        at(
          e.origin.file,
          e.origin.place,
          `${exts.join(", ")}: ${paths.map((p) => JSON.stringify(p)).join(", ")} ${paths.length === 1 ? "is" : "are"} not allowed in extensions by Talos ${talos.version}; allowed roots: ${roots.join(", ")} (${provenance(e)})`,
        ),
      ),
    );
  },
};
