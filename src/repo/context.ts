/**
 * What of a package directory reaches `/pkg` in the build. bldr copies the package's directory from its own
 * local source `context` (siderolabs/bldr internal/pkg/convert/graph.go, buildLocalContext) and applies only
 * the exclude patterns it sets there; it does not read `.dockerignore` (that is done by BuildKit's Dockerfile
 * frontend, frontend/dockerui, which bldr does not use; bldr d7bd0d1: "Supporting full `.dockerignore` would
 * be much more effort"). siderolabs/extensions' own `.dockerignore` starts with `*`, which under Docker's
 * rules would exclude every package, and its builds work: it is not applied.
 *
 * The patterns changed in bldr v0.5.6 (d7bd0d1): a second `llb.ExcludePatterns` call was added, and BuildKit's
 * option replaces the list rather than adding to it, so from then on only `_out/` is excluded; before, hidden
 * files, `pkg.yaml` and `vars.yaml` were. The patterns are matched with Docker's rules (@balena/dockerignore;
 * BuildKit's fsutil uses moby/patternmatcher, the same matcher Docker uses for `.dockerignore`).
 */
import dockerignore from "@balena/dockerignore";
import { compareSemver, parseSemverTolerant, SemverError } from "../talos/semver.js";

export interface ContextFilter {
  /** The frontend image named on the Pkgfile's `# syntax =` line, if any. */
  readonly frontend?: string;
  /** bldr's version from that image's tag, when it has one. */
  readonly bldrVersion?: string;
  readonly patterns: readonly string[];
  /** The pattern that keeps `path` (relative to the repository root) out of the build, if any. */
  excludedBy(path: string): string | undefined;
}

const BEFORE_0_5_6 = ["**/.*", "**/pkg.yaml", "**/vars.yaml"];
const SINCE_0_5_6 = ["_out/"];
const REPLACED_LIST_SINCE = "v0.5.6";

/** The `# syntax = IMAGE` directive at the top of a Pkgfile (BuildKit reads it from the leading comments). */
export function syntaxImage(pkgfile: string): string | undefined {
  for (const line of pkgfile.split("\n")) {
    const m = /^#\s*syntax\s*=\s*(\S+)\s*$/.exec(line);
    if (m) return m[1];
    if (!line.startsWith("#") && line.trim() !== "") return undefined;
  }
  return undefined;
}

/** The filter of the bldr release a Pkgfile names; a bldr without a readable tag is taken as current. */
export function contextFilter(pkgfile: string | undefined): ContextFilter {
  const frontend = pkgfile === undefined ? undefined : syntaxImage(pkgfile);
  const tag = frontend === undefined ? undefined : /^[^@]*\/bldr:(v?[0-9][^@]*)/.exec(frontend)?.[1];
  let patterns = SINCE_0_5_6;
  if (tag !== undefined) {
    try {
      if (compareSemver(parseSemverTolerant(tag), parseSemverTolerant(REPLACED_LIST_SINCE)) < 0)
        patterns = BEFORE_0_5_6;
    } catch (err) {
      if (!(err instanceof SemverError)) throw err;
    }
  }
  // A CommonJS module: under NodeNext its default import is module.exports, which carries `default` too.
  const matchers = patterns.map((p) => ({ pattern: p, ig: dockerignore.default().add(p) }));
  return {
    ...(frontend === undefined ? {} : { frontend }),
    ...(tag === undefined ? {} : { bldrVersion: tag }),
    patterns,
    excludedBy: (path) => matchers.find((m) => m.ig.ignores(path))?.pattern,
  };
}
