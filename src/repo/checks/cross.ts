/**
 * Conflicts between extensions that the overlay resolves silently at boot: Talos stacks the extensions, and
 * for a path shipped twice the one later in extensions.yaml wins (src/extension/overlay.ts). A repository does
 * not fix that order, so every path shipped by two extensions is a conflict whose winner depends on how the
 * installer is composed.
 */
import type { Check } from "../../report/check.js";
import { findingOf } from "../../report/check.js";
import { type OverlayEntryType, type OverlayLayer, pathConflicts } from "../../talos/overlay.js";
import type { Install } from "../installs.js";
import type { Extension, RepoModel } from "../model.js";
import { at, plural } from "./common.js";
import { provenance } from "./talos.js";

interface Shipped {
  readonly ext: Extension;
  readonly entries: ReadonlyMap<string, Install>;
}

function shipped(model: RepoModel): Shipped[] {
  return model.extensions.map((ext) => ({ ext, entries: model.rootfsOf(ext) }));
}

/** The provider a finding points at: the last selected one, so that it lands in the change under review. */
function pointAt(model: RepoModel, providers: readonly Shipped[]): Shipped | undefined {
  const chosen = providers.filter((p) => model.selected.has(p.ext));
  return chosen[chosen.length - 1];
}

/** ld.so.cache, ld.so.conf and ld.so.conf.d entries: what the dynamic loader reads to find libraries. */
export const isLinkerConfig = (path: string): boolean =>
  /(^|\/)ld\.so\.(cache|conf)$/.test(path) || /\/ld\.so\.conf\.d\/[^/]+$/.test(path);

/** depmod output at a release's root: the imager regenerates it in the last layer, by design. */
const isDepmodOutput = (path: string): boolean => /^\/(usr\/)?lib\/modules\/[^/]+\/modules\.[^/]+$/.test(path);

const TYPE: Record<Install["kind"], OverlayEntryType | undefined> = {
  file: "file",
  symlink: "symlink",
  dir: "dir",
  tree: undefined,
};

function conflicts(model: RepoModel) {
  const all = shipped(model);
  const layers: OverlayLayer[] = all.map((s) => ({
    name: s.ext.dir,
    paths: new Map(
      [...s.entries.values()].flatMap((e) => {
        const t = TYPE[e.kind];
        return t === undefined ? [] : [[e.path, t] as [string, OverlayEntryType]];
      }),
    ),
  }));
  const byDir = new Map(all.map((s) => [s.ext.dir, s]));
  return pathConflicts(layers).map((c) => ({
    path: c.path,
    providers: c.providers.map((d) => byDir.get(d) as Shipped),
  }));
}

const where = (s: Shipped, path: string): string => {
  const e = s.entries.get(path) as Install;
  return `${s.ext.name} (${provenance(e)})`;
};

export const sharedPath: Check<RepoModel> = {
  code: "TE3101",
  title: "Two extensions install the same path",
  severity: "warning",
  explain:
    "Talos stacks the extensions as overlay layers, and for a path shipped by two of them the one later in " +
    "extensions.yaml wins; the other's file is invisible on the node, and which one wins depends on how the " +
    "installer was composed, not on this repository.",
  fix: "Ship each path from one extension (a shared stage that both copy from is the usual cause), or make the extensions mutually exclusive and say so in their READMEs.",
  run(model) {
    const groups = new Map<string, { providers: Shipped[]; paths: string[] }>();
    for (const c of conflicts(model)) {
      if (isLinkerConfig(c.path) || isDepmodOutput(c.path)) continue;
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

export const linkerConfigShared: Check<RepoModel> = {
  code: "TE4101",
  title: "Two extensions ship the dynamic loader's cache or configuration",
  severity: "error",
  explain:
    "ld.so.cache and ld.so.conf decide where programs find their libraries. When two extensions ship one, the " +
    "copy in the later layer wins and the other's library entries vanish: with the glibc extension above the " +
    "NVIDIA toolkit, libcuda.so.1 is no longer found, CDI generation fails and the GPU operator crashes, with " +
    "nothing on the node naming the cause.",
  fix: "Ship the cache from one extension only, generated over every library directory (or order the installer so the complete cache is last, and check it with talos-ext verify).",
  run(model) {
    return conflicts(model)
      .filter((c) => isLinkerConfig(c.path))
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
      });
  },
};

/** `/usr/lib/modules/<release>/…/name.ko[.xz|.gz|.zst]` → `name` with `-` as `_`, as the kernel names it. */
export function moduleName(path: string): string | undefined {
  const m = /^\/(?:usr\/)?lib\/modules\/.+\/([^/]+)\.ko(?:\.(?:xz|gz|zst))?$/.exec(path);
  return m ? (m[1] as string).replaceAll("-", "_") : undefined;
}

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

/** Every directory an extension's entries imply: explicit ones and the parents of everything. */
function directories(entries: ReadonlyMap<string, Install>): Map<string, Install> {
  const out = new Map<string, Install>();
  for (const e of entries.values()) {
    if (e.kind === "dir" || e.kind === "tree") out.set(e.path, e);
    for (let p = e.path.slice(0, e.path.lastIndexOf("/")); p !== ""; p = p.slice(0, p.lastIndexOf("/"))) {
      if (!out.has(p)) out.set(p, e);
    }
  }
  return out;
}

export const directoryShadowed: Check<RepoModel> = {
  code: "TE4102",
  title: "A directory in one extension is a file or symlink in another",
  severity: "error",
  explain:
    "In an overlay, a file or symlink in an upper layer hides a lower layer's whole directory at that path, and a " +
    "directory above hides the lower file or symlink: a library directory (/usr/local/lib64 as glibc's symlink to " +
    "lib, or a real directory of libraries) loses everything the other extension put there, depending on order.",
  fix: "Use the same kind of entry at that path in every extension: install into the directory the symlink points to, or drop the symlink.",
  run(model) {
    const all = shipped(model).map((s) => ({ s, dirs: directories(s.entries) }));
    const out = [];
    for (const a of all) {
      for (const e of a.s.entries.values()) {
        if (e.kind !== "file" && e.kind !== "symlink") continue;
        const others = all.filter((b) => b.s !== a.s && b.dirs.has(e.path));
        if (others.length === 0) continue;
        // At the file or symlink when its extension is under review, else at the last reviewed directory side.
        const dirSide = others.filter((b) => model.selected.has(b.s.ext)).pop();
        if (!model.selected.has(a.s.ext) && dirSide === undefined) continue;
        const origin = model.selected.has(a.s.ext) ? e : (dirSide?.dirs.get(e.path) as Install);
        const dirSides = others
          .map((b) => `${b.s.ext.name} (${provenance(b.dirs.get(e.path) as Install)})`)
          .join(" and ");
        out.push(
          findingOf(
            this,
            at(
              origin.origin.file,
              origin.origin.place,
              `${e.path} is a ${e.kind} in ${a.s.ext.name} (${provenance(e)}) and a directory in ${dirSides}`,
            ),
          ),
        );
      }
    }
    return out;
  },
};
