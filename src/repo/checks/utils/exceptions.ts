/**
 * Whether upstream's duplicate check accepts a shared path: extensions-duplicate-finder allows a file when
 * one entry of the exceptions file lists exactly the images that ship it (as a set) and one of its patterns
 * matches the file's tar name (validate.go, exceptionList.allows).
 *
 * The images are compared as a superset here, not as an equal set: reading pkg.yaml sees fewer writers than
 * the built images hold (glibc's `make install` writes /etc/ld.so.cache, which no pkg.yaml line names), so
 * an entry naming every extension seen shipping the path accepts it. A new image sharing it still falls out.
 */
import type { ExceptionEntry, RepoModel } from "../../model.js";

export interface Accepted {
  readonly file: string;
  readonly entry: ExceptionEntry;
}

/** The exceptions entry that accepts `owners` sharing `path` (absolute, inside the extensions' rootfs). */
export function acceptedBy(model: RepoModel, path: string, owners: readonly string[]): Accepted | undefined {
  for (const ex of model.exceptions) {
    for (const entry of ex.entries) {
      if (!owners.every((o) => entry.images.includes(o))) continue;
      if (entry.files.some((f) => patternMatches(f, `rootfs${path}`))) return { file: ex.file, entry };
    }
  }
  return undefined;
}

/**
 * filepath.Match, segment by segment (its `*` never crosses a `/`). A path read from pkg.yaml may hold a shell
 * variable the build sets (`${KERNELRELEASE}`, `${LD_LINUX_PATH}`); it stands for any one segment's text, so
 * it matches the pattern's `*` and each architecture's literal name alike.
 */
export function patternMatches(pattern: string, path: string): boolean {
  const ps = pattern.split("/");
  const ns = path.split("/");
  if (ps.length !== ns.length) return false;
  return ps.every((p, i) => segmentMatches(p, ns[i] as string));
}

const VARIABLE = /\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$[A-Za-z_][A-Za-z0-9_]*/;
const literal = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function segmentMatches(pattern: string, name: string): boolean {
  if (!VARIABLE.test(name)) return goGlob(pattern).test(name);
  const named = new RegExp(`^${name.split(VARIABLE).map(literal).join("[^/]*")}$`);
  // A pattern's own wildcards against the variable: compare with them taken out.
  return named.test(pattern.replace(/\[[^\]]*\]|[*?\\]/g, ""));
}

/** One segment of Go's filepath.Match as a RegExp: `*`, `?`, `[...]` with `^` negation and ranges, `\` escapes. */
function goGlob(segment: string): RegExp {
  let re = "";
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i] as string;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "\\" && i + 1 < segment.length) re += literal(segment[++i] as string);
    else if (c === "[") {
      const end = segment.indexOf("]", i + 2);
      if (end < 0) return /(?!)/; // ErrBadPattern: the finder treats it as no match
      const body = segment.slice(i + 1, end);
      re += `[${body.startsWith("^") ? `^/${body.slice(1)}` : body}]`;
      i = end;
    } else re += literal(c);
  }
  return new RegExp(`^${re}$`);
}
