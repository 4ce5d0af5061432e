import { type Check, findingOf } from "../../src/report/check.js";
import { judgeLibraries, type LibraryProblem } from "../../src/talos/loader/judge.js";
import type { Step } from "../../src/talos/loader/search.js";
import { World } from "../../src/talos/loader/world.js";
import type { ArtifactFact, VerifyModel } from "../model.js";

/** The layers the imager adds itself: Talos' own rootfs is not an extension's to fix. */
const OWN_LAYERS = new Set(["rootfs", "modules.dep"]);

const steps = (looked: readonly Step[]) =>
  looked.map((s) => (s.dirs.length > 0 ? `${s.what} (${s.dirs.join(", ")})` : s.what)).join(", then ");

function message(p: LibraryProblem): string {
  const where = p.root ? ` in container ${p.root}` : "";
  const what = `${p.object.layer}: ${p.object.path.slice(p.root.length)}${where}`;
  if (p.missingInterp !== undefined) return `${what} names the loader ${p.missingInterp}, which is not there`;
  const u = p.unresolved;
  if (u === undefined || p.loader === undefined) return what;
  const via =
    u.requester === p.object ? "" : ` (needed by ${u.requester.layer}: ${u.requester.path.slice(p.root.length)})`;
  const refused = u.refused ? `; ${u.refused}` : "";
  const other = p.elsewhere.length > 0 ? `. The tree has it: ${p.elsewhere.join("; ")}` : ". No layer ships it";
  return (
    `${what} needs ${u.name}${via}, which its ${p.loader.kind} loader ${p.loader.interp} does not find: ` +
    `it looked in ${steps(u.looked)}${refused}${other}`
  );
}

function problems(artifact: ArtifactFact): LibraryProblem[] {
  const world = new World(artifact.layers, artifact.objects, artifact.caches, artifact.pathFiles);
  return judgeLibraries(world, (o) => !OWN_LAYERS.has(o.layer));
}

export const libraryResolution: Check<VerifyModel> = {
  code: "TE4003",
  title: "A shipped program or library needs a shared library its loader does not find",
  severity: "error",
  explain:
    "Each extension program and library is loaded by the loader its PT_INTERP names (musl's for the Talos " +
    "rootfs, glibc's for glibc extensions), inside the node's root or its service container's rootfs. That " +
    "loader searches DT_RPATH or DT_RUNPATH, its ld.so.cache and its trusted directories, in that order; a " +
    "DT_NEEDED it does not find there fails the program at start (error while loading shared libraries), " +
    "even when another layer ships the library where the loader does not look or under a cache that lost.",
  fix:
    "Ship the library where the loader looks (beside an $ORIGIN RPATH/RUNPATH, in a directory the winning " +
    "ld.so.cache lists, or a trusted directory), link it with the right RUNPATH, or reorder the layers so the " +
    "copy or cache that carries it wins.",
  run(model) {
    // Only an installer stacks layers: an extension alone lacks the rootfs and the layers it relies on.
    return model.artifacts
      .filter((a) => a.layers.length > 0)
      .flatMap((artifact) =>
        problems(artifact).map((p) =>
          findingOf(this, { artifact: artifact.file, path: p.object.path, message: message(p) }),
        ),
      );
  },
};
