import type { Entry } from "../../src/io/entry.js";
import { resolveSync } from "../../src/io/symlink.js";
import { type Check, findingOf } from "../../src/report/check.js";
import type { ArtifactFact, VerifyModel } from "../model.js";
import { judgedServices } from "./utils/services.js";

/** Where machined roots a service's container (constants.ExtensionServiceRootfsPath). */
const CONTAINERS = "/usr/local/lib/containers";
/** runc looks a bare command up in the container's PATH; the spec sets none, so the OCI default applies. */
const PATH = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/** The extensions' entries merged, the upper layer's where two ship a path. */
function merged(artifact: ArtifactFact): Map<string, Entry> {
  const out = new Map<string, Entry>();
  for (const ext of artifact.extensions) for (const e of ext.entries) out.set(e.path, e);
  return out;
}

/** The entry `path` names inside the container rooted at `root`, symlinks resolved within that root. */
function lookup(tree: Map<string, Entry>, root: string, path: string): Entry | undefined {
  const r = resolveSync<string>("/", path.split("/"), { followLast: true }, ({ dirPath, name }) => {
    const inner = dirPath === "/" ? `/${name}` : `${dirPath}/${name}`;
    const e = tree.get(`${root}${inner}`);
    if (e === undefined) return undefined;
    return e.type === "symlink" ? { node: inner, symlink: e.linkTarget ?? "" } : { node: inner };
  });
  return r.kind === "found" ? tree.get(`${root}${r.path}`) : undefined;
}

export const serviceEntrypoint: Check<VerifyModel> = {
  code: "TE5005",
  title: "Extension service entrypoint missing or not executable",
  severity: "error",
  explain:
    "A service runs its entrypoint inside /usr/local/lib/containers/<name>, the container rootfs the extension " +
    "ships. Talos never checks that the file is there: a missing or non-executable entrypoint only fails when " +
    "the service starts, and it is restarted and failing from then on.",
  fix: "Install the program at the entrypoint's path inside /usr/local/lib/containers/<name> with mode 0755, or point the entrypoint at where it is.",
  run(model) {
    return model.artifacts.flatMap((artifact) => {
      const specs = judgedServices(artifact).filter((s) => s.spec !== undefined);
      if (specs.length === 0) return [];
      const tree = merged(artifact);
      return specs.flatMap(({ fact, spec }) => {
        if (spec === undefined) return [];
        const root = `${CONTAINERS}/${spec.name}`;
        const e = spec.entrypoint;
        const tried = e.includes("/") ? [e.startsWith("/") ? e : `/${e}`] : PATH.map((d) => `${d}/${e}`);
        const found = tried.map((p) => lookup(tree, root, p)).find((x) => x !== undefined);
        let problem: string | undefined;
        if (found === undefined) problem = `is not in ${root} (looked for ${tried.join(", ")})`;
        else if (found.type !== "file" && found.type !== "hardlink") problem = `is a ${found.type}, not a program`;
        else if ((found.mode & 0o111) === 0)
          problem = `is not executable (mode ${found.mode.toString(8).padStart(4, "0")})`;
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
