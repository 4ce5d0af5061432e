/**
 * Path rules shared by the readers, writers and checkers: member names, paths of a tree being written, link
 * targets cleaned lexically. Paths are POSIX strings; nothing here touches a file system. The rules report
 * why a path is refused and each caller throws its own error, in its own words.
 */

/** Why a path is refused. */
export type PathFault = "absolute" | "relative" | "nul" | "dot-dot" | "dot" | "empty";
export type RelativeFault = Extract<PathFault, "absolute" | "nul" | "dot-dot">;
export type AbsoluteFault = Exclude<PathFault, "absolute">;

/**
 * Why `name`, relative to a root, is unsafe: a leading `/` (some readers join it onto the root, others do
 * not), a NUL byte, or any `..` part (which extractors clean, clamp or follow through symlinks each their own
 * way). `""` and `.` parts mean nothing and are allowed.
 */
export function relativeFault(name: string): RelativeFault | undefined {
  if (name.startsWith("/")) return "absolute";
  if (name.includes("\0")) return "nul";
  return name.split("/").includes("..") ? "dot-dot" : undefined;
}

/** A safe relative name as the absolute path it names inside its root: `./a//b/` is `/a/b`, `./` is `/`. */
export function cleanRelative(name: string, refuse: (fault: RelativeFault) => Error): string {
  const fault = relativeFault(name);
  if (fault !== undefined) throw refuse(fault);
  return `/${name
    .split("/")
    .filter((p) => p !== "" && p !== ".")
    .join("/")}`;
}

/**
 * Why `path` is not a clean absolute path (`/a/b`: no `""`, `.` or `..` part, so no `//` or trailing `/`,
 * and no NUL). A tree being written takes only these: anything else would be silently reinterpreted.
 */
export function absoluteFault(path: string): AbsoluteFault | undefined {
  if (!path.startsWith("/")) return "relative";
  if (path === "/") return undefined;
  for (const part of path.slice(1).split("/")) {
    if (part === "") return "empty";
    if (part === ".") return "dot";
    if (part === "..") return "dot-dot";
    if (part.includes("\0")) return "nul";
  }
  return undefined;
}

/** The names of a clean absolute path: `/a/b` is `["a", "b"]`, `/` is `[]`. */
export function absoluteParts(path: string, refuse: (fault: AbsoluteFault) => Error): string[] {
  const fault = absoluteFault(path);
  if (fault !== undefined) throw refuse(fault);
  return path === "/" ? [] : path.slice(1).split("/");
}

/** `path`'s names after lexical cleaning, `..` stopping at the root; `climbed` when one tried to go above. */
function lexical(path: string): { parts: string[]; climbed: boolean } {
  const parts: string[] = [];
  let climbed = false;
  for (const p of path.split("/")) {
    if (p === "" || p === ".") continue;
    if (p !== "..") parts.push(p);
    else if (parts.pop() === undefined) climbed = true;
  }
  return { parts, climbed };
}

/**
 * `path` cleaned as if its tree were all there is, the way an archive member is placed inside its root:
 * `//` and `.` dropped, `..` resolved lexically and stopping at the root (`/a/../../b` is `/b`). A relative
 * path is taken from the root.
 */
export function clampPath(path: string): string {
  return `/${lexical(path).parts.join("/")}`;
}

/** Whether a `..` of `path` would climb above the root, e.g. a relative link target joined to its directory. */
export function climbsOut(path: string): boolean {
  return lexical(path).climbed;
}

/** Whether the clean absolute `path` is `root` or below it. */
export function isInside(path: string, root: string): boolean {
  return root === "/" || path === root || path.startsWith(`${root}/`);
}
