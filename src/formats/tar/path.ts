import { FormatError } from "../../io/errors.js";
import { cleanRelative } from "../../io/path.js";

/**
 * A member name that would place an entry outside the tree it is unpacked into, or that means different
 * things to different extractors.
 *
 * - `dot-dot`: any `..` component. Docker cleans names lexically (`a/../b` is `b`) and refuses only names
 *   that then escape (`../x`, `a/../../x`); containerd clamps them to the root; an extractor that follows a
 *   symlink `a` puts `a/../b` somewhere else again. No image builder writes `..`, so like node-tar every `..`
 *   is refused rather than given one of those meanings.
 * - `absolute`: a leading `/`. Docker and umoci join the name onto the root (`/etc/passwd` lands in the
 *   image's /etc/passwd); GNU tar strips the `/` when it writes, so only `tar -P` or a hand-made archive
 *   carries one, and an extractor without Docker's join writes to the host. It is refused too: the two
 *   readings differ, and a verifier must show the layer rather than pick one.
 */
export class UnsafePathError extends FormatError {
  constructor(
    file: string,
    offset: number,
    readonly reason: "dot-dot" | "absolute",
    readonly path: string,
    structure = "tar member name",
  ) {
    super(
      file,
      offset,
      structure,
      reason === "absolute" ? "a relative path" : "a path without '..'",
      JSON.stringify(path),
    );
  }
}

/**
 * A member name as a clean absolute path inside the layer's tree: `./a//b/` becomes `/a/b`, `./` the root.
 * Names with `..` or a leading `/` are an UnsafePathError (see there why they are not normalised).
 */
export function cleanMemberPath(name: string, file: string, offset: number, structure?: string): string {
  return cleanRelative(name, (fault) =>
    fault === "nul"
      ? new FormatError(file, offset, structure ?? "tar member name", "no NUL byte", JSON.stringify(name))
      : new UnsafePathError(file, offset, fault, name, structure),
  );
}
