/**
 * Rewrites the file paths of a unified diff so a patch made against one source layout applies to another.
 * The P2P patch targets NVIDIA's GitHub tree (open-gpu-kernel-modules, with `src/` at the root), while the
 * redistribution archive that Talos' packages build from keeps that tree under `src/kernel-module-source/`;
 * `kernel-open/` sits at the root of both.
 */

/** One rewrite: a path prefix in the patch, and what it becomes in the target tree. */
export interface PathMapping {
  readonly from: string;
  readonly to: string;
}

/** The mapping from NVIDIA's GitHub tree to its redistribution archive. */
export const GITHUB_TO_REDIST: readonly PathMapping[] = [{ from: "src/", to: "src/kernel-module-source/src/" }];

// The header lines of a git or plain unified diff that carry paths, with the a/ b/ prefixes they may use.
const HEADER =
  /^(diff --git a\/)(\S+)( b\/)(\S+)$|^(--- (?:a\/)?|\+\+\+ (?:b\/)?)(\S+)(.*)$|^((?:rename|copy) (?:from|to) )(\S+)$/;

function remapPath(path: string, mappings: readonly PathMapping[]): string {
  if (path === "/dev/null") return path;
  const m = mappings.find((m) => path.startsWith(m.from));
  return m === undefined ? path : m.to + path.slice(m.from.length);
}

/**
 * The patch with every path in its headers remapped; hunk bodies are left alone. Only lines outside hunks are
 * treated as headers, so a removed line that happens to start with `--- ` is never rewritten.
 */
export function remapPatch(patch: string, mappings: readonly PathMapping[] = GITHUB_TO_REDIST): string {
  const lines = patch.split("\n");
  let oldLeft = 0;
  let newLeft = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (oldLeft > 0 || newLeft > 0) {
      // Inside a hunk: count the lines it still owes on each side.
      if (line.startsWith("-")) oldLeft--;
      else if (line.startsWith("+")) newLeft--;
      else if (!line.startsWith("\\")) {
        oldLeft--;
        newLeft--;
      }
      continue;
    }
    const hunk = /^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@/.exec(line);
    if (hunk) {
      oldLeft = hunk[1] === undefined ? 1 : Number(hunk[1]);
      newLeft = hunk[2] === undefined ? 1 : Number(hunk[2]);
      continue;
    }
    const h = HEADER.exec(line);
    if (h === null) continue;
    if (h[1] !== undefined) {
      lines[i] = `${h[1]}${remapPath(h[2] as string, mappings)}${h[3]}${remapPath(h[4] as string, mappings)}`;
    } else if (h[5] !== undefined) {
      lines[i] = `${h[5]}${remapPath(h[6] as string, mappings)}${h[7]}`;
    } else {
      lines[i] = `${h[8]}${remapPath(h[9] as string, mappings)}`;
    }
  }
  return lines.join("\n");
}
