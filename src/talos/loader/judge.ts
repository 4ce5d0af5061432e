/**
 * Every executable and shared library of the chosen layers, loaded as its loader would inside its root (the
 * node's `/`, or a service container's rootfs): what does not resolve, and where the tree does carry it.
 */
import { type Loader, loaderAt, usualInterp } from "./loaders.js";
import type { LayerObject } from "./object.js";
import { Search, type Unresolved } from "./search.js";
import type { World } from "./world.js";

/** Where machined roots a service's container (constants.ExtensionServiceRootfsPath). */
const CONTAINER = /^\/usr\/local\/lib\/containers\/[^/]+(?=\/)/;

export interface LibraryProblem {
  /** The executable or library judged. */
  readonly object: LayerObject;
  /** `""` for the node's root, else the container rootfs it runs in. */
  readonly root: string;
  /** PT_INTERP names a loader the root does not have. */
  readonly missingInterp?: string;
  readonly loader?: Loader;
  readonly unresolved?: Unresolved;
  /** Copies of the missing library the tree does carry, each with why the loader does not see it. */
  readonly elsewhere: readonly string[];
}

const rootOf = (path: string) => CONTAINER.exec(path)?.[0] ?? "";
const basename = (p: string) => p.slice(p.lastIndexOf("/") + 1);
const dirname = (p: string) => p.slice(0, Math.max(p.lastIndexOf("/"), 0)) || "/";

/** The loader a library without PT_INTERP is loaded by, told by the libc it needs; undefined if none. */
function libraryLoader(world: World, root: string, o: LayerObject): Loader | undefined {
  const kind = o.needed.includes("libc.so.6") ? "glibc" : o.needed.some((n) => /^libc\./.test(n)) ? "musl" : undefined;
  const interp = kind === undefined ? undefined : usualInterp(kind, o);
  // Without that loader in the root nothing there can load the library; its users are judged instead.
  return interp === undefined ? undefined : loaderAt(world, root, interp, o);
}

/** Why each copy of `name` in the tree is not what the loader found. */
function elsewhere(world: World, p: { root: string; loader: Loader; object: LayerObject; u: Unresolved }): string[] {
  const { root, loader, object, u } = p;
  const dirs = new Set(u.looked.flatMap((s) => s.dirs));
  const cacheFull = loader.cache === undefined ? undefined : world.tree.file(root, loader.cache);
  const cacheWinner = cacheFull === undefined ? undefined : world.cacheAt(cacheFull)?.layer;
  return world.allObjects
    .filter((c) => (root === "" ? rootOf(c.path) === "" : c.path.startsWith(`${root}/`)))
    .filter((c) => (c.soname === u.name || basename(c.path) === u.name) && c.bits === object.bits)
    .filter((c) => c.machine === object.machine)
    .map((c) => {
      const rel = c.path.slice(root.length);
      const winner = world.tree.node(c.path)?.layer;
      if (winner !== c.layer) return `${c.layer}'s ${rel} is hidden by ${winner}'s`;
      const lister = world.allCaches.find(
        (k) => k.path === cacheFull && k.layer !== cacheWinner && k.entries.some((e) => e.soname === u.name),
      );
      if (lister !== undefined) {
        return `${c.layer} ships ${rel}, and ${lister.layer}'s ${loader.cache} lists it, but ${cacheWinner}'s wins`;
      }
      if (dirs.has(dirname(rel))) return `${c.layer} ships it as ${rel}, with no ${u.name} beside it`;
      return `${c.layer} ships ${rel}, outside that search`;
    });
}

/** Judges every winning ELF object that `judged` selects, executables first. */
export function judgeLibraries(world: World, judged: (o: LayerObject) => boolean): LibraryProblem[] {
  const objects = world.allObjects.filter((o) => judged(o) && world.objectAt(o.path) === o);
  const isExec = (o: LayerObject) => o.interp !== undefined && o.soname === undefined;
  const ordered = [...objects.filter(isExec), ...objects.filter((o) => !isExec(o))];
  const seen = new Set<string>();
  const out: LibraryProblem[] = [];
  for (const object of ordered) {
    const root = rootOf(object.path);
    // A shared object with a soname is a library even with PT_INTERP: glibc's libc.so.6 has one to be run.
    const loader = isExec(object)
      ? loaderAt(world, root, object.interp as string, object)
      : libraryLoader(world, root, object);
    if (loader === undefined) {
      if (isExec(object)) out.push({ object, root, missingInterp: object.interp as string, elsewhere: [] });
      continue;
    }
    for (const u of new Search(world, root, loader, object).run().unresolved) {
      // A library's missing dependency is reported once: with the first executable that loads it.
      const key = `${u.requester.layer}\0${u.requester.path}\0${u.name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ object, root, loader, unresolved: u, elsewhere: elsewhere(world, { root, loader, object, u }) });
    }
  }
  return out;
}
