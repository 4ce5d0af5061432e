/**
 * The rules Talos applies to a system extension, per Talos release, as read from siderolabs/talos:
 * `AllowedPaths` in pkg/machinery/extensions/extensions.go, the walk in pkg/machinery/extensions/validate.go
 * (internal/pkg/extensions/validate.go before v1.8.0-alpha.1), and its callers in pkg/imager/extensions. Each table entry names the
 * first release tag whose tree carries that state; releases are ordered by semver, pre-releases included,
 * because several changes landed at an alpha, beta or rc tag (and some were backported before a release).
 */
import type { Entry, EntryType } from "../io/entry.js";
import {
  compareSemver,
  coreVersion,
  formatSemver,
  parseRange,
  parseSemverTolerant,
  type SemVersion,
  SemverError,
  satisfies,
} from "./semver.js";

interface Since<T> {
  readonly since: string;
  readonly value: T;
}

/** AllowedPaths over time; each list is the whole list from its tag on. */
const ALLOWED_PATHS: readonly Since<readonly string[]>[] = [
  // b3c3ef29b, bcf928134: the first list, in the v1.0 line.
  { since: "v0.15.0-alpha.2", value: ["/etc/cri/conf.d", "/lib/firmware", "/usr/etc/udev/rules.d", "/usr/local"] },
  // 1ed3df295 "support glibc apps extension spec"
  {
    since: "v1.2.0-alpha.1",
    value: ["/etc/cri/conf.d", "/lib/firmware", "/lib64/ld-linux-x86-64.so.2", "/usr/etc/udev/rules.d", "/usr/local"],
  },
  // 9512e8f30 "allow modules to be loaded via extension"
  {
    since: "v1.2.0-beta.0",
    value: [
      "/etc/cri/conf.d",
      "/lib/firmware",
      "/lib/modules",
      "/lib64/ld-linux-x86-64.so.2",
      "/usr/etc/udev/rules.d",
      "/usr/local",
    ],
  },
  // 5adeb5042 "update extension spec allowlist for opengl"
  {
    since: "v1.5.0-beta.0",
    value: [
      "/etc/cri/conf.d",
      "/lib/firmware",
      "/lib/modules",
      "/lib64/ld-linux-x86-64.so.2",
      "/usr/etc/udev/rules.d",
      "/usr/local",
      "/usr/share/glvnd",
      "/usr/share/egl",
      "/etc/vulkan",
    ],
  },
  // 6484581eb "allow /sbin/ldconfig in extensions"
  {
    since: "v1.9.0-alpha.0",
    value: [
      "/etc/cri/conf.d",
      "/lib/firmware",
      "/lib/modules",
      "/lib64/ld-linux-x86-64.so.2",
      "/sbin/ldconfig",
      "/usr/etc/udev/rules.d",
      "/usr/local",
      "/usr/share/glvnd",
      "/usr/share/egl",
      "/etc/vulkan",
    ],
  },
  // 8680351c1 "move system extensions' udev rules"
  {
    since: "v1.9.0-alpha.1",
    value: [
      "/etc/cri/conf.d",
      "/lib/firmware",
      "/lib/modules",
      "/lib64/ld-linux-x86-64.so.2",
      "/sbin/ldconfig",
      "/usr/lib/udev/rules.d",
      "/usr/local",
      "/usr/share/glvnd",
      "/usr/share/egl",
      "/etc/vulkan",
    ],
  },
  // cd66fc6e8 "use bootstrapped packages for building Talos" (the /usr merge)
  {
    since: "v1.10.0-alpha.2",
    value: [
      "/etc/cri/conf.d",
      "/usr/lib/firmware",
      "/usr/lib/modules",
      "/usr/lib/ld-linux-x86-64.so.2",
      "/usr/bin/ldconfig",
      "/usr/lib/udev/rules.d",
      "/usr/local",
      "/usr/share/glvnd",
      "/usr/share/egl",
      "/etc/vulkan",
    ],
  },
  // 7bf3aaca9 "allow glibc aarch64 so files in extensions"
  {
    since: "v1.12.0-beta.0",
    value: [
      "/etc/cri/conf.d",
      "/usr/lib/firmware",
      "/usr/lib/modules",
      "/usr/lib/ld-linux-x86-64.so.2",
      "/usr/lib/ld-linux-aarch64.so.1",
      "/usr/bin/ldconfig",
      "/usr/lib/udev/rules.d",
      "/usr/local",
      "/usr/share/glvnd",
      "/usr/share/egl",
      "/etc/vulkan",
    ],
  },
  // 414f78a29 "allow glibc ld files in etc" and 79fa2e300 "allow more nvidia and nvme files", backported to
  // release-1.13 after v1.13.0-beta.1.
  {
    since: "v1.13.0-rc.0",
    value: [
      "/etc/cri/conf.d",
      "/usr/lib/firmware",
      "/usr/lib/modules",
      "/usr/lib/ld-linux-x86-64.so.2",
      "/usr/lib/ld-linux-aarch64.so.1",
      "/usr/bin/ldconfig",
      "/etc/ld.so.conf",
      "/etc/ld.so.cache",
      "/usr/bin/nvidia-modprobe",
      "/usr/bin/nvidia-pcc",
      "/usr/bin/nvidia-smi",
      "/usr/bin/nvidia-ctk",
      "/usr/bin/nvidia-cdi-hook",
      "/usr/bin/nvme",
      "/usr/lib/udev/rules.d",
      "/usr/local",
      "/usr/share/glvnd",
      "/usr/share/egl",
      "/etc/vulkan",
    ],
  },
];

/**
 * Talos before v1.1.0-alpha.0 also refused symlinks, hardlinks and empty directories (cd4d4c605, 58cb9db1e);
 * those releases are not modelled.
 */
export const OLDEST_MODELLED_TALOS = "v1.1.0-alpha.0";

/** f95b53726: before this tag a file was matched by its parent directory, not by its own path. */
const MATCH_FILE_PATH_SINCE = "v1.2.0-alpha.2";
/** 80238a05a: constraints checked with blang/semver/v4 (with `v` trimmed) instead of hashicorp/go-version. */
const BLANG_SEMVER_SINCE = "v1.6.0-alpha.0";
/**
 * 682718d4c: from here the imager validates only the constraint; the contents walk runs only where a caller
 * asks for it (the installer's `.machine.install.extensions`, removed in v1.10, and siderolabs/extensions'
 * build through extensions-validator).
 */
const IMAGER_SKIPS_CONTENTS_SINCE = "v1.9.0-alpha.3";

export interface TalosRules {
  /** The Talos version asked about, as parsed. */
  readonly version: string;
  /** Roots under which a non-directory entry may sit, compared as plain string prefixes, as Talos does. */
  readonly allowedPaths: readonly string[];
  /** The tag from which `allowedPaths` applies. */
  readonly allowedPathsSince: string;
  /** Before v1.2.0-alpha.2 a file's parent directory, not its path, had to start with an allowed root. */
  readonly matchParentDir: boolean;
  /** Whether the imager itself refuses an extension whose tree breaks a rule (before v1.9.0-alpha.3). */
  readonly imagerChecksContents: boolean;
  /** The library Talos checks `compatibility.talos.version` with. */
  readonly constraintLibrary: "blang/semver/v4" | "hashicorp/go-version";
}

const atLeast = (v: SemVersion, tag: string): boolean => compareSemver(v, parseSemverTolerant(tag)) >= 0;

/** Talos' version as its tooling reads it (semver.ParseTolerant: `v1.13`, `1.13.0-beta.1` both work). */
function talosVersion(version: string): SemVersion {
  const v = parseSemverTolerant(version);
  if (!atLeast(v, OLDEST_MODELLED_TALOS)) {
    throw new RangeError(
      `Talos ${version}: extension rules before ${OLDEST_MODELLED_TALOS} (no symlinks, hardlinks or empty directories) are not modelled`,
    );
  }
  return v;
}

/** The rules of one Talos release. Throws SemverError for an unreadable version, RangeError before v1.1. */
export function talosRules(version: string): TalosRules {
  const v = talosVersion(version);
  let paths = ALLOWED_PATHS[0] as Since<readonly string[]>;
  for (const entry of ALLOWED_PATHS) if (atLeast(v, entry.since)) paths = entry;
  return {
    version: formatSemver(v),
    allowedPaths: paths.value,
    allowedPathsSince: paths.since,
    matchParentDir: !atLeast(v, MATCH_FILE_PATH_SINCE),
    imagerChecksContents: !atLeast(v, IMAGER_SKIPS_CONTENTS_SINCE),
    constraintLibrary: atLeast(v, BLANG_SEMVER_SINCE) ? "blang/semver/v4" : "hashicorp/go-version",
  };
}

/**
 * One entry of an extension's rootfs, as a SquashFS or tar reader sees it: the path is absolute inside the
 * rootfs, e.g. `/usr/lib/modules/6.12.0-talos/extra/nvidia.ko`.
 */
export type TreeEntry = Pick<Entry, "path" | "type" | "mode">;

/** How a finding names a device type. */
const SPECIAL_NAMES: Partial<Record<EntryType, string>> = { char: "char-device", block: "block-device" };

export type TreeRule = "allowed-path" | "special-file" | "world-writable";

export interface TreeViolation {
  readonly path: string;
  readonly rule: TreeRule;
  /** Talos' own wording, so that it matches what its validator prints. */
  readonly message: string;
}

const dirname = (p: string): string => p.slice(0, Math.max(p.lastIndexOf("/"), 0)) || "/";

/**
 * Every rule break in an extension's tree, in Talos' order per entry, sorted by path. Talos stops at the first
 * one; this reports them all. A special file is not also reported for its path, since it must go anyway.
 *
 * World-writable entries: validate.go means to refuse them, but it tests `DirEntry.Type().Perm()`, which holds
 * no permission bits, so no release has refused one. They are reported because the intent is explicit and a
 * world-writable file in the root overlay is a hazard; symlinks are skipped, their mode is always 0777.
 */
export function checkExtensionTree(entries: Iterable<TreeEntry>, talosVersion: string): TreeViolation[] {
  const rules = talosRules(talosVersion);
  const out: TreeViolation[] = [];
  for (const e of entries) {
    if (!e.path.startsWith("/")) throw new TypeError(`extension tree path must be absolute: ${JSON.stringify(e.path)}`);
    const quoted = JSON.stringify(e.path);
    if (e.type !== "symlink" && (e.mode & 0o002) !== 0) {
      out.push({ path: e.path, rule: "world-writable", message: `world-writeable files are not allowed: ${quoted}` });
    }
    if (e.type === "dir") continue;
    // A hard link is a regular file to Talos' walk.
    if (e.type !== "file" && e.type !== "hardlink" && e.type !== "symlink") {
      const kind = SPECIAL_NAMES[e.type] ?? e.type;
      out.push({ path: e.path, rule: "special-file", message: `special files are not allowed: ${quoted} (${kind})` });
      continue;
    }
    // Plain string prefixes, as Talos compares them: `/usr/localx` passes under `/usr/local`.
    const subject = rules.matchParentDir ? dirname(e.path) : e.path;
    if (!rules.allowedPaths.some((root) => subject.startsWith(root))) {
      out.push({ path: e.path, rule: "allowed-path", message: `path ${quoted} is not allowed in extensions` });
    }
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Talos' `trim`: drops every `v` that stands before a digit (`>= v1.2.0` → `>= 1.2.0`). */
export function trimConstraint(constraint: string): string {
  let s = constraint;
  // Same loop as upstream: after a removal the next character moves into place and is skipped.
  for (let i = 0; i < s.length; i++) {
    const next = s.charCodeAt(i + 1);
    if (s[i] === "v" && next >= 0x30 && next <= 0x39) s = s.slice(0, i) + s.slice(i + 1);
  }
  return s;
}

export type CompatibilityResult =
  | { readonly status: "compatible" }
  | { readonly status: "incompatible" | "invalid" | "not-evaluated"; readonly message: string };

/**
 * The `compatibility.talos.version` check: an empty constraint always passes; otherwise the constraint, with
 * `v` before digits dropped, is a blang range checked against the Talos version's major.minor.patch (so
 * `>= v1.13.0` accepts v1.13.0-beta.1). Releases before v1.6.0-alpha.0 used hashicorp/go-version, which is
 * not modelled: those come back `not-evaluated`. Throws like `talosRules` for an unreadable or too old version.
 */
export function checkCompatibility(constraint: string, talosVersion: string): CompatibilityResult {
  const rules = talosRules(talosVersion);
  if (constraint === "") return { status: "compatible" };
  if (rules.constraintLibrary !== "blang/semver/v4") {
    return {
      status: "not-evaluated",
      message: `Talos ${rules.version} checks constraints with hashicorp/go-version, which is not modelled`,
    };
  }
  let range: ReturnType<typeof parseRange>;
  try {
    range = parseRange(trimConstraint(constraint));
  } catch (err) {
    if (!(err instanceof SemverError)) throw err;
    return { status: "invalid", message: `error parsing Talos version constraint: ${err.message}` };
  }
  const core = coreVersion(parseSemverTolerant(talosVersion));
  if (satisfies(range, core)) return { status: "compatible" };
  return {
    status: "incompatible",
    message: `version constraint ${constraint} can't be satisfied with Talos version ${formatSemver(core)}`,
  };
}
