/** Absolute paths in a build tree, and the shell globs that name them. */
import { clampPath, isInside } from "../../io/path.js";

/** `/a//b/./c/` → `/a/b/c`; `..` pops, stopping at `/`. Returns undefined for relative paths. */
export function normalizePath(p: string): string | undefined {
  return p.startsWith("/") ? clampPath(p) : undefined;
}

/** `path`, which lies under `from`, moved under `to`. */
export const rebase = (path: string, from: string, to: string): string =>
  normalizePath(`${to}/${path.slice(from === "/" ? 0 : from.length)}`) as string;

export const basename = (p: string): string => p.slice(p.lastIndexOf("/") + 1);

export const isGlob = (p: string): boolean => /[*?[]/.test(p);

/** Whether a normalized path lies in the build tree under `/rootfs`, the only part that is followed. */
export const inRootfs = (p: string | undefined): p is string => p !== undefined && isInside(p, "/rootfs");

/** `p` relative to `/pkg` ("" for `/pkg` itself), or undefined when it lies elsewhere. */
export function pkgRel(p: string | undefined): string | undefined {
  if (p === undefined || !isInside(p, "/pkg")) return undefined;
  return p.slice("/pkg".length).replace(/^\//, "");
}

/** Matches a shell glob against one path, segment by segment (`*` stays within a segment). */
export function globMatch(glob: string, path: string): boolean {
  const g = glob.split("/");
  const p = path.split("/");
  if (g.length !== p.length) return false;
  return g.every((seg, i) => {
    const re = seg
      .replace(/[.+^${}()|\\]/g, "\\$&")
      .replace(/\*/g, "[^/]*")
      .replace(/\?/g, "[^/]");
    return new RegExp(`^${re}$`).test(p[i] as string);
  });
}
