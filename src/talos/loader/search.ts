/**
 * Loads an object's dependencies the way its loader would, breadth first from the object (both loaders map
 * the needed list of each object in load order), and says which DT_NEEDED names find no file.
 *
 * glibc, elf/dl-load.c _dl_map_object / _dl_map_new_object: a name with `/` is opened as is; a name a loaded
 * object answers to (its name or DT_SONAME, the loader's own included) is that object; otherwise, when the
 * requester has no DT_RUNPATH, the DT_RPATH of the requester, then of the object that loaded it and on up
 * (an object's DT_RPATH is ignored when it has a DT_RUNPATH, elf/get-dynamic-info.h); then the requester's own
 * DT_RUNPATH (never its loaders'); then ld.so.cache (elf/dl-cache.c _dl_load_cache_lookup, entries of this
 * ABI only); then the trusted directories. A file of another ELF class or machine is skipped (open_verify).
 * decompose_rpath/fillin_rpath split on `:`, drop empty elements, and expand $ORIGIN, $LIB and $PLATFORM
 * (_dl_dst_substitute; an unknown `$` is kept).
 *
 * musl, ldso/dynlink.c load_library: lib{c,pthread,rt,m,dl,util,xnet}.* and the loader's own name are libc
 * itself; a loaded object answers to the name it was searched by; then the rpath of the requester and of each
 * object up its needed_by chain (DT_RUNPATH replaces DT_RPATH, decode_dyn; only $ORIGIN expands, any other
 * `$` drops the rpath, fixup_rpath); then the path file or /lib:/usr/local/lib:/usr/lib. The first file that
 * opens is taken, whatever it is.
 *
 * $ORIGIN is the directory of the path an object was opened by; for the executable it is its real path
 * (both read /proc/self/exe).
 */
import { cacheFlagsMatch, type Loader, platform } from "./loaders.js";
import type { LayerObject } from "./object.js";
import type { World } from "./world.js";

/** One place a loader searched. */
export interface Step {
  /** e.g. `RPATH of /usr/bin/x`, `ld.so.cache /etc/ld.so.cache`, `its trusted directories`. */
  readonly what: string;
  readonly dirs: readonly string[];
}

export interface Unresolved {
  /** The object whose DT_NEEDED it is. */
  readonly requester: LayerObject;
  readonly name: string;
  readonly looked: readonly Step[];
  /** Why a file that was found was refused. */
  readonly refused?: string;
}

interface Loaded {
  readonly object: LayerObject;
  /** The path it was opened by, inside the root. */
  readonly opened: string;
  readonly names: ReadonlySet<string>;
  readonly by?: Loaded;
}

type Open = { readonly object: LayerObject; readonly opened: string } | { readonly refused: string } | "unjudged";

const dirname = (p: string) => p.slice(0, Math.max(p.lastIndexOf("/"), 0)) || "/";
const basename = (p: string) => p.slice(p.lastIndexOf("/") + 1);
const inDir = (dir: string, name: string) => (dir.endsWith("/") ? `${dir}${name}` : `${dir}/${name}`);
const MUSL_SELF = /^lib(c|pthread|rt|m|dl|util|xnet)\./;

/** The directories a DT_RPATH/DT_RUNPATH string names for `l`; undefined when musl drops it whole. */
function searchDirs(value: string, l: Loaded, loader: Loader): string[] | undefined {
  const origin = dirname(l.opened);
  if (loader.kind === "musl") {
    if (/\$(?!ORIGIN|\{ORIGIN\})/.test(value)) return undefined;
    return value
      .split(/[:\n]/)
      .filter((d) => d !== "")
      .map((d) => d.replace(/\$(\{ORIGIN\}|ORIGIN)/g, origin));
  }
  const plat = platform(l.object);
  const out: string[] = [];
  for (const element of value.split(":")) {
    // An empty element is the working directory, which a node's services do not share: nothing to judge.
    if (element === "") continue;
    let unknown = false;
    const dir = element.replace(/\$(\{(ORIGIN|LIB|PLATFORM)\}|ORIGIN|LIB|PLATFORM)/g, (m) => {
      const v = m.includes("ORIGIN") ? origin : m.includes("LIB") ? loader.lib : plat;
      if (v === undefined) unknown = true;
      return v ?? "";
    });
    if (!unknown && dir !== "" && !out.includes(dir)) out.push(dir.replace(/(.)\/+$/, "$1"));
  }
  return out;
}

export class Search {
  private readonly loaded: Loaded[] = [];
  readonly unresolved: Unresolved[] = [];

  /** `start` is in `root` at its own path; it is the executable (its loader's main map) when `main`. */
  constructor(
    private readonly world: World,
    private readonly root: string,
    private readonly loader: Loader,
    private readonly start: LayerObject,
  ) {
    const rtld = new Set([loader.interp, ...(loader.object?.soname ? [loader.object.soname] : [])]);
    if (loader.object) this.loaded.push({ object: loader.object, opened: loader.interp, names: rtld });
    const opened = start.path.slice(root.length);
    this.loaded.push({ object: start, opened, names: new Set([basename(opened)]) });
  }

  /** Loads everything, recording what does not resolve. */
  run(): this {
    const queue = [this.loaded[this.loaded.length - 1] as Loaded];
    for (let i = 0; i < queue.length; i++) {
      const req = queue[i] as Loaded;
      for (const name of req.object.needed) {
        const next = this.load(name, req);
        if (next !== undefined) queue.push(next);
      }
    }
    return this;
  }

  private load(name: string, req: Loaded): Loaded | undefined {
    const l = this.loader;
    if (l.kind === "musl" && (MUSL_SELF.test(name) || name === l.interp)) return undefined;
    if (this.loaded.some((x) => x.names.has(name) || (l.kind === "glibc" && x.object.soname === name))) {
      return undefined;
    }
    const looked: Step[] = [];
    let found: Open | undefined;
    const tryDirs = (what: string, dirs: readonly string[]) => {
      looked.push({ what, dirs });
      for (const d of dirs) {
        found = this.open(inDir(d, name));
        if (found !== undefined) return true;
      }
      return false;
    };
    if (name.includes("/")) {
      found = name.startsWith("/") ? this.open(name) : undefined;
      if (found === undefined) looked.push({ what: "the path itself", dirs: [name] });
    } else if (l.kind === "musl") {
      for (let p: Loaded | undefined = req; p && found === undefined; p = p.by) {
        const value = p.object.runpath ?? p.object.rpath;
        const dirs = value === undefined ? undefined : searchDirs(value, p, l);
        if (dirs !== undefined && tryDirs(`rpath of ${p.opened}`, dirs)) break;
      }
      if (found === undefined) tryDirs(l.defaultFrom, l.defaultDirs);
    } else {
      if (req.object.runpath === undefined) {
        for (let p: Loaded | undefined = req; p; p = p.by) {
          if (p.object.rpath === undefined || p.object.runpath !== undefined) continue;
          if (tryDirs(`RPATH of ${p.opened}`, searchDirs(p.object.rpath, p, l) ?? [])) break;
        }
      }
      if (found === undefined && req.object.runpath !== undefined) {
        tryDirs(`RUNPATH of ${req.opened}`, searchDirs(req.object.runpath, req, l) ?? []);
      }
      if (found === undefined) found = this.fromCache(name, looked);
      if (found === undefined) tryDirs(l.defaultFrom, l.defaultDirs);
    }
    if (found === undefined || found === "unjudged" || "refused" in found) {
      if (found !== "unjudged") {
        const refused = found !== undefined && "refused" in found ? { refused: found.refused } : {};
        this.unresolved.push({ requester: req.object, name, looked, ...refused });
      }
      return undefined;
    }
    const object = found.object;
    const at = this.loaded.find((x) => x.object === object);
    if (at !== undefined) return undefined;
    const next = { object, opened: found.opened, names: new Set([name]), by: req };
    this.loaded.push(next);
    return next;
  }

  /** The winning cache's entry for `name`, when its file is one this loader maps. */
  private fromCache(name: string, looked: Step[]): Open | undefined {
    const path = this.loader.cache as string;
    const full = this.world.tree.file(this.root, path);
    const cache = full === undefined ? undefined : this.world.cacheAt(full);
    looked.push({ what: `ld.so.cache ${path}${cache ? ` (${cache.layer}'s)` : " (none shipped)"}`, dirs: [] });
    const entries = (cache?.entries ?? []).filter((e) => e.soname === name && cacheFlagsMatch(this.start, e.flags));
    const entry = entries.find((e) => e.hwcapsName === undefined) ?? entries[0];
    if (entry === undefined) return undefined;
    const got = this.open(entry.path);
    return got !== undefined && got !== "unjudged" && "refused" in got ? undefined : got;
  }

  /** What opening `path` gives this loader: an object, a refusal that ends the search, or nothing there. */
  private open(path: string): Open | undefined {
    const full = this.world.tree.file(this.root, path);
    if (full === undefined) return undefined;
    const object = this.world.objectAt(full);
    // A file the scan did not read as ELF and whose name does not say it is a library cannot be judged.
    if (object === undefined)
      return /\.so/.test(basename(full)) ? { refused: `${path} is not an ELF object` } : "unjudged";
    if (object.bits === this.start.bits && object.machine === this.start.machine) return { object, opened: path };
    // glibc's open_verify skips another class or machine and searches on; musl's map_library fails on it.
    return this.loader.kind === "glibc" ? undefined : { refused: `${path} is built for another machine` };
  }
}
