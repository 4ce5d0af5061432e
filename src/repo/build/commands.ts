/**
 * The step commands read for what they write under `/rootfs` (they are read, not run):
 *  - `mkdir`, `install -d`: directories;
 *  - `cp`, `install`, `mv`: a file, or a tree whose content is not known (a recursive copy of something that is
 *    not in the repository); sources under `/pkg` are listed from the package directory, so they are exact;
 *  - `ln -s`: a symlink; `rm`: removes what was inferred;
 *  - `xargs -a /pkg/LIST … {}`: the command once per line of the list (how siderolabs/extensions installs
 *    in-tree modules from `files/modules.txt`);
 *  - `ldconfig -r /rootfs [-C CACHE]`: the cache file, at `-C` or at the ldconfig binary's compiled-in
 *    `<sysconfdir>/ld.so.cache` (see `LdconfigCache`).
 * Any other command is not guessed.
 */
import type { LdconfigCache, Origin, PkgContext } from "../installs.js";
import { parseOptions } from "./argv.js";
import { copy } from "./copy.js";
import { basename, globMatch, inRootfs, isGlob, normalizePath } from "./paths.js";
import type { BuildState } from "./state.js";

/** What the commands act on. */
export interface Build {
  readonly state: BuildState;
  readonly context: PkgContext;
  readonly ldconfigCache: LdconfigCache;
}

/** One command to interpret: `origin` names it, `at` is where it was written. */
interface Call {
  readonly binary: string;
  readonly args: readonly string[];
  readonly origin: Origin;
  readonly at: Omit<Origin, "how">;
  /** How many `xargs` it runs under. */
  readonly depth: number;
}

type Interpretation = (b: Build, c: Call) => void;

/** A command is followed under at most two `xargs` (`xargs … xargs … CMD`), so that a list cannot recurse. */
const MAX_DEPTH = 2;

/** Applies what `cmd` (a command's words) writes to the build; `at` is where it was written. */
export function interpret(b: Build, cmd: readonly string[], at: Omit<Origin, "how">, depth = 0): void {
  const [binary, ...args] = cmd;
  if (binary === undefined || depth > MAX_DEPTH) return;
  const name = basename(binary);
  COMMANDS.get(name)?.(b, { binary, args, origin: { ...at, how: name }, at, depth });
}

/** Puts a directory at each operand under `/rootfs`. */
function directories(b: Build, operands: readonly string[], origin: Origin): void {
  for (const d of operands) {
    const p = normalizePath(d);
    if (inRootfs(p)) b.state.put(p, "dir", origin);
  }
}

const mkdir: Interpretation = (b, c) => directories(b, parseOptions(c.args, "m").operands, c.origin);

const install: Interpretation = (b, c) => {
  const o = parseOptions(c.args, "mogtSZ", ["mode", "owner", "group", "target-directory", "suffix"]);
  if (o.flags.has("d") || o.flags.has("directory")) {
    directories(b, o.operands, c.origin);
    return;
  }
  const targetDir = o.values.get("t") ?? o.values.get("target-directory");
  if (targetDir !== undefined) {
    copy(b.state, b.context, {
      sources: o.operands,
      dest: targetDir,
      intoDir: true,
      recursive: false,
      origin: c.origin,
    });
    return;
  }
  const dest = o.operands.pop();
  if (dest === undefined) return;
  copy(b.state, b.context, { sources: o.operands, dest, intoDir: false, recursive: false, origin: c.origin });
};

/** `cp` and `mv`; `mv` is recursive and removes its sources (unless moved onto themselves). */
const copyOrMove: Interpretation = (b, c) => {
  const move = c.origin.how === "mv";
  const o = parseOptions(c.args, "tS", ["target-directory", "suffix", "preserve", "no-preserve", "reflink", "sparse"]);
  const recursive = move || ["r", "R", "a", "recursive", "archive"].some((f) => o.flags.has(f));
  const targetDir = o.values.get("t") ?? o.values.get("target-directory");
  const sources = targetDir === undefined ? o.operands.slice(0, -1) : o.operands;
  const dest = targetDir ?? o.operands[o.operands.length - 1];
  if (dest === undefined || sources.length === 0) return;
  copy(b.state, b.context, { sources, dest, intoDir: targetDir !== undefined, recursive, origin: c.origin });
  if (!move) return;
  for (const s of sources) {
    const p = normalizePath(s);
    if (inRootfs(p) && normalizePath(dest) !== p) b.state.remove(p);
  }
};

/** `ln -s TARGET LINK`; a link into a known directory lands inside it (unless `-n` or `-T`). */
const link: Interpretation = (b, c) => {
  const o = parseOptions(c.args, "tS", ["target-directory", "suffix"]);
  if (!o.flags.has("s") && !o.flags.has("symbolic")) return;
  const [target, name, ...more] = o.operands;
  if (target === undefined || name === undefined || more.length > 0) return;
  const p = normalizePath(name);
  if (!inRootfs(p)) return;
  const path = b.state.knownDir(p) && !o.flags.has("n") && !o.flags.has("T") ? `${p}/${basename(target)}` : p;
  b.state.set(path, "symlink", c.origin);
};

/** `rm PATH…`: each path and what lies under it; a glob, each entry it matches. */
const remove: Interpretation = (b, c) => {
  for (const r of parseOptions(c.args, "").operands) {
    const p = normalizePath(r);
    if (!inRootfs(p)) continue;
    if (!isGlob(p)) {
      b.state.remove(p);
      continue;
    }
    for (const key of [...b.state.tree.keys()]) if (globMatch(p, key)) b.state.remove(key);
  }
};

/** `ldconfig -r /rootfs`: the cache at `-C`, else where the binary writes it by default. */
const ldconfig: Interpretation = (b, c) => {
  const o = parseOptions(c.args, "rCfc");
  const root = normalizePath(o.values.get("r") ?? "");
  if (root !== "/rootfs") return;
  const builtIn = b.ldconfigCache(normalizePath(c.binary)?.replace(/^\/rootfs(?=\/)/, "") ?? c.binary);
  const cache = normalizePath(o.values.get("C") ?? builtIn);
  if (cache !== undefined) b.state.put(normalizePath(`/rootfs${cache}`) as string, "file", c.origin);
};

/** `xargs -a /pkg/LIST CMD…`: CMD once per line of the list, with the line appended or in place of `-I`'s string. */
const xargs: Interpretation = (b, c) => {
  const o = parseOptions(c.args, "aIdELnPs", ["arg-file", "replace", "delimiter", "max-args"]);
  const list = o.values.get("a") ?? o.values.get("arg-file");
  const replace = o.values.get("I") ?? o.values.get("replace");
  if (list === undefined || o.operands.length === 0) return;
  const rel = normalizePath(list)?.replace(/^\/pkg\/?/, "");
  const text = rel === undefined || !list.startsWith("/pkg/") ? undefined : b.context.text(rel);
  if (text === undefined) return;
  for (const item of text.split("\n").map((l) => l.trim())) {
    if (item === "") continue;
    const words = replace === undefined ? [...o.operands, item] : o.operands.map((w) => w.replaceAll(replace, item));
    interpret(b, words, c.at, c.depth + 1);
  }
};

/** By command name (the binary's basename); a Map, so that no name finds an Object.prototype member. */
const COMMANDS: ReadonlyMap<string, Interpretation> = new Map([
  ["mkdir", mkdir],
  ["install", install],
  ["cp", copyOrMove],
  ["mv", copyOrMove],
  ["ln", link],
  ["rm", remove],
  ["ldconfig", ldconfig],
  ["xargs", xargs],
]);
