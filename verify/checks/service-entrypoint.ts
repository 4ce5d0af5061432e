import type { Entry } from "../../src/io/entry.js";
import { resolveSync } from "../../src/io/symlink.js";
import { type Check, findingOf } from "../../src/report/check.js";
import { chainPath } from "../../src/report/finding.js";
import type { ArtifactFact, ScriptFact, VerifyModel } from "../model.js";
import { judgedServices } from "./utils/services.js";

/** Where machined roots a service's container (constants.ExtensionServiceRootfsPath). */
const CONTAINERS = "/usr/local/lib/containers";
/** runc looks a bare command up in the container's PATH; the spec sets none, so the OCI default applies. */
const PATH = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/** A path of the merged extensions: the upper layer's entry, and where that layer is. */
interface Shipped {
  readonly entry: Entry;
  readonly layerLocation: string;
}

/** The extensions' entries merged, the upper layer's where two ship a path. */
function merged(artifact: ArtifactFact): Map<string, Shipped> {
  const out = new Map<string, Shipped>();
  for (const ext of artifact.extensions)
    for (const entry of ext.entries) out.set(entry.path, { entry, layerLocation: ext.location });
  return out;
}

/** What `path` names inside the container rooted at `root`, symlinks resolved within that root. */
function lookup(tree: Map<string, Shipped>, root: string, path: string): Shipped | undefined {
  const r = resolveSync<string>("/", path.split("/"), { followLast: true }, ({ dirPath, name }) => {
    const inner = dirPath === "/" ? `/${name}` : `${dirPath}/${name}`;
    const e = tree.get(`${root}${inner}`)?.entry;
    if (e === undefined) return undefined;
    return e.type === "symlink" ? { node: inner, symlink: e.linkTarget ?? "" } : { node: inner };
  });
  return r.kind === "found" ? tree.get(`${root}${r.path}`) : undefined;
}

/** The paths tried for `command`: itself when it names a path, else each PATH directory. */
const candidates = (command: string): string[] =>
  command.includes("/") ? [command.startsWith("/") ? command : `/${command}`] : PATH.map((d) => `${d}/${command}`);

/** The executable file the first of `tried` names in the container, or why there is none. */
function executable(tree: Map<string, Shipped>, root: string, tried: readonly string[]): Shipped | string {
  const found = tried.map((p) => lookup(tree, root, p)).find((x) => x !== undefined);
  if (found === undefined) return `is not in ${root} (looked for ${tried.join(", ")})`;
  const { type, mode } = found.entry;
  if (type !== "file" && type !== "hardlink") return `is a ${type}, not a program`;
  if ((mode & 0o111) === 0) return `is not executable (mode ${mode.toString(8).padStart(4, "0")})`;
  return found;
}

/** Why `command` cannot start in the container, or undefined when it can. */
function runProblem(
  tree: Map<string, Shipped>,
  scripts: ReadonlyMap<string, ScriptFact>,
  root: string,
  command: string,
): string | undefined {
  const found = executable(tree, root, candidates(command));
  if (typeof found === "string") return found;
  const script = scripts.get(chainPath(found.layerLocation, found.entry.path));
  if (script === undefined) return undefined;
  // The kernel runs the interpreter by its path in the container; env then looks its argument up in PATH.
  const { interpreter, arg } = script;
  const line = `#!${interpreter}${arg !== undefined ? ` ${arg}` : ""}`;
  const runs = executable(tree, root, [interpreter.startsWith("/") ? interpreter : `/${interpreter}`]);
  if (typeof runs === "string") return `is a script (${line}) whose interpreter ${interpreter} ${runs}`;
  if (!interpreter.endsWith("/env") || arg === undefined || arg.startsWith("-")) return undefined;
  const program = executable(tree, root, candidates(arg));
  return typeof program === "string" ? `is a script (${line}) whose program ${arg} ${program}` : undefined;
}

export const serviceEntrypoint: Check<VerifyModel> = {
  code: "TE5005",
  title: "Extension service entrypoint missing or not executable",
  severity: "error",
  explain:
    "A service runs its entrypoint inside /usr/local/lib/containers/<name>, the container rootfs the extension " +
    "ships. Talos never checks that the file is there: a missing or non-executable entrypoint, or a script whose " +
    "#! interpreter the container lacks, only fails when the service starts, and it is restarted and failing " +
    "from then on.",
  fix: "Install the program (for a script, its interpreter too) at the entrypoint's path inside /usr/local/lib/containers/<name> with mode 0755, or point the entrypoint at where it is.",
  run(model) {
    return model.artifacts.flatMap((artifact) => {
      const specs = judgedServices(artifact).filter((s) => s.spec !== undefined);
      if (specs.length === 0) return [];
      const tree = merged(artifact);
      const scripts = new Map(artifact.scripts.map((s) => [s.location, s]));
      return specs.flatMap(({ fact, spec }) => {
        if (spec === undefined) return [];
        const e = spec.entrypoint;
        const problem = runProblem(tree, scripts, `${CONTAINERS}/${spec.name}`, e);
        if (problem === undefined) return [];
        return [
          findingOf(this, {
            artifact: artifact.file,
            path: fact.location,
            message: `service ${spec.name} (${fact.path}): entrypoint ${e} ${problem}`,
          }),
        ];
      });
    });
  },
};
