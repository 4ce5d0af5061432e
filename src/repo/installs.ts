/**
 * What a package puts in its build tree, read statically from its pkg.yaml: the outputs of its stage
 * dependencies (copied `from` → `to`), then what its steps write, then the `finalize` copies that make the
 * package's output. Step commands are read, not run:
 *  - `mkdir`, `install -d`: directories;
 *  - `cp`, `install`, `mv`: a file, or a tree whose content is not known (a recursive copy of something that is
 *    not in the repository); sources under `/pkg` are listed from the package directory, so they are exact;
 *  - `ln -s`: a symlink; `rm`: removes what was inferred; `> FILE`: a file;
 *  - `xargs -a /pkg/LIST … {}`: the command once per line of the list (how siderolabs/extensions installs
 *    in-tree modules from `files/modules.txt`);
 *  - `ldconfig -r /rootfs [-C CACHE]`: the cache file, at `-C` or at the ldconfig binary's compiled-in
 *    `<sysconfdir>/ld.so.cache` (see `LdconfigCache`);
 *  - a step's `sbom.outputPath`.
 * Only destinations under `/rootfs` are followed. Anything else (`make install DESTDIR=/rootfs`, `tar -C`, an
 * installer binary) writes files that cannot be known without running the build, and is not guessed.
 */

import { clampPath, isInside } from "../io/path.js";
import type { PkgDoc, Script } from "./pkg.js";
import { parseShell, type SimpleCommand } from "./shell.js";
import type { Place } from "./source.js";

export type InstallKind = "file" | "dir" | "symlink" | "tree";

/** Where an entry was written: the pkg.yaml line, and the stages it came through. */
export interface Origin {
  readonly file: string;
  readonly place: Place;
  /** The command, e.g. `cp`, `ldconfig`, `sbom`. */
  readonly how: string;
  /** Stage names it came through, nearest first (empty when the package wrote it itself). */
  readonly via: readonly string[];
}

export interface Install {
  /** Absolute path in the tree it belongs to. */
  readonly path: string;
  readonly kind: InstallKind;
  readonly origin: Origin;
}

/** A file under `/pkg` that a step or `finalize` reads (relative to `/pkg`). */
export interface PkgRef {
  readonly path: string;
  /** The reference holds a glob (`*`, `?`, `[`): at least one file must match. */
  readonly glob: boolean;
  readonly origin: Origin;
}

/** The package directory as the build sees it under `/pkg`. */
export interface PkgContext {
  /** Relative paths of the regular files and symlinks, and of the directories. */
  readonly files: ReadonlySet<string>;
  readonly dirs: ReadonlySet<string>;
  /** Text of a file, for `xargs -a`; undefined when it is not there or not text. */
  text(path: string): string | undefined;
}

/** Where an `ldconfig` binary writes its cache by default, given its path in the build tree. */
export type LdconfigCache = (binary: string) => string;

export interface BuildTree {
  /** The package's output: its build tree through `finalize`, by absolute path. */
  readonly output: ReadonlyMap<string, Install>;
  readonly refs: readonly PkgRef[];
}

/** `/a//b/./c/` → `/a/b/c`; `..` pops, stopping at `/`. Returns undefined for relative paths. */
export function normalizePath(p: string): string | undefined {
  return p.startsWith("/") ? clampPath(p) : undefined;
}

const rebase = (path: string, from: string, to: string): string =>
  normalizePath(`${to}/${path.slice(from === "/" ? 0 : from.length)}`) as string;
const basename = (p: string): string => p.slice(p.lastIndexOf("/") + 1);
const isGlob = (p: string): boolean => /[*?[]/.test(p);

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

const PKG_REF = /(?:^|[=:])(\/pkg(?:\/[^\s'"$;|&<>`]*)?)/g;

/** Parses short and long options of a command; `valued` are the short letters that take a value. */
function options(
  args: readonly string[],
  valued: string,
  longValued: readonly string[] = [],
): {
  flags: Set<string>;
  values: Map<string, string>;
  operands: string[];
} {
  const flags = new Set<string>();
  const values = new Map<string, string>();
  const operands: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === "--") {
      operands.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      if (eq >= 0) values.set(name, a.slice(eq + 1));
      else if (longValued.includes(name)) values.set(name, args[++i] ?? "");
      else flags.add(name);
    } else if (a.startsWith("-") && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const ch = a[j] as string;
        if (valued.includes(ch)) {
          values.set(ch, j + 1 < a.length ? a.slice(j + 1) : (args[++i] ?? ""));
          break;
        }
        flags.add(ch);
      }
    } else operands.push(a);
  }
  return { flags, values, operands };
}

/** Builds the tree of one package; `depOutputs` gives the output of a stage it depends on. */
export function inferBuild(
  file: string,
  pkg: PkgDoc,
  context: PkgContext,
  depOutput: (stage: string) => ReadonlyMap<string, Install> | undefined,
  ldconfigCache: LdconfigCache,
): BuildTree {
  const tree = new Map<string, Install>();
  const refs: PkgRef[] = [];
  const knownDir = (p: string): boolean => {
    const e = tree.get(p);
    return e?.kind === "dir" || e?.kind === "tree";
  };
  const put = (path: string, kind: InstallKind, origin: Origin) => {
    // A directory does not replace what is already known at its path.
    if (kind === "dir" && tree.has(path)) return;
    tree.set(path, { path, kind, origin });
  };
  const remove = (path: string) => {
    for (const key of [...tree.keys()]) if (isInside(key, path)) tree.delete(key);
  };

  for (const dep of pkg.dependencies) {
    if (dep.stage === undefined || dep.runtime) continue;
    const out = depOutput(dep.stage);
    if (out === undefined) continue;
    const from = normalizePath(dep.from) ?? "/";
    const to = normalizePath(dep.to) ?? "/";
    for (const e of out.values()) {
      if (!isInside(e.path, from)) continue;
      const path = rebase(e.path, from, to);
      tree.set(path, { path, kind: e.kind, origin: { ...e.origin, via: [dep.stage, ...e.origin.via] } });
    }
  }

  /** Files from `/pkg` a source names: exact files, a directory's files, or a glob's matches. */
  const pkgFiles = (src: string): { rel: string; base: string }[] | undefined => {
    const rel = normalizePath(src)?.slice("/pkg".length).replace(/^\//, "");
    if (rel === undefined || !isInside(`/${rel}`, "/") || !isInside(src, "/pkg")) return undefined;
    if (isGlob(rel))
      return [...context.files].filter((f) => globMatch(rel, f)).map((f) => ({ rel: f, base: basename(f) }));
    if (context.files.has(rel)) return [{ rel, base: basename(rel) }];
    if (rel === "" || context.dirs.has(rel)) {
      return [...context.files]
        .filter((f) => rel === "" || f.startsWith(`${rel}/`))
        .map((f) => ({ rel: f, base: rel === "" ? f : f.slice(rel.length + 1) }));
    }
    return undefined;
  };

  /** `cp`/`install`/`mv` of `sources` to `dest`; `intoDir` when dest is known to be a directory. */
  const copy = (sources: string[], dest: string, intoDir: boolean, recursive: boolean, origin: Origin) => {
    const target = normalizePath(dest);
    if (target === undefined || !isInside(target, "/rootfs")) return;
    const asDir = intoDir || sources.length > 1 || dest.endsWith("/") || knownDir(target);
    for (const src of sources) {
      const fromPkg = pkgFiles(src);
      if (fromPkg !== undefined) {
        const srcIsDir = !isGlob(src) && fromPkg.some((f) => f.base.includes("/"));
        for (const f of fromPkg) {
          const path = asDir
            ? normalizePath(`${target}/${srcIsDir ? `${basename(normalizePath(src) as string)}/${f.base}` : f.base}`)
            : srcIsDir
              ? normalizePath(`${target}/${f.base}`)
              : target;
          if (path !== undefined) put(path, "file", origin);
        }
        continue;
      }
      const trimmed = src.replace(/\/(\*|\.)?$/, "");
      const contentsOnly = /\/(\*|\.)$/.test(src);
      const name = basename(trimmed);
      const path = asDir && !contentsOnly ? normalizePath(`${target}/${name}`) : target;
      if (path === undefined) continue;
      const srcPath = normalizePath(trimmed);
      // A copy within the build tree carries what is known about the source.
      if (srcPath !== undefined && isInside(srcPath, "/rootfs") && tree.has(srcPath)) {
        for (const e of [...tree.values()].filter((x) => isInside(x.path, srcPath))) {
          const p = rebase(e.path, srcPath, path);
          tree.set(p, { path: p, kind: e.kind, origin });
        }
        continue;
      }
      put(path, recursive || contentsOnly || isGlob(name) ? "tree" : "file", origin);
    }
  };

  const ldconfig = (args: readonly string[], binary: string, origin: Origin) => {
    const o = options(args, "rCfc");
    const root = normalizePath(o.values.get("r") ?? "");
    if (root !== "/rootfs") return;
    const builtIn = ldconfigCache(normalizePath(binary)?.replace(/^\/rootfs(?=\/)/, "") ?? binary);
    const cache = normalizePath(o.values.get("C") ?? builtIn);
    if (cache !== undefined) put(normalizePath(`/rootfs${cache}`) as string, "file", origin);
  };

  const run = (cmd: readonly string[], origin0: Omit<Origin, "how">, depth: number): void => {
    const [binary, ...args] = cmd;
    if (binary === undefined || depth > 2) return;
    const name = basename(binary);
    const origin: Origin = { ...origin0, how: name };
    switch (name) {
      case "mkdir": {
        for (const d of options(args, "m").operands) {
          const p = normalizePath(d);
          if (p !== undefined && isInside(p, "/rootfs")) put(p, "dir", origin);
        }
        return;
      }
      case "install": {
        const o = options(args, "mogtSZ", ["mode", "owner", "group", "target-directory", "suffix"]);
        if (o.flags.has("d") || o.flags.has("directory")) {
          for (const d of o.operands) {
            const p = normalizePath(d);
            if (p !== undefined && isInside(p, "/rootfs")) put(p, "dir", origin);
          }
          return;
        }
        const targetDir = o.values.get("t") ?? o.values.get("target-directory");
        if (targetDir !== undefined) {
          copy(o.operands, targetDir, true, false, origin);
          return;
        }
        const dest = o.operands.pop();
        if (dest !== undefined) copy(o.operands, dest, false, false, origin);
        return;
      }
      case "cp":
      case "mv": {
        const o = options(args, "tS", ["target-directory", "suffix", "preserve", "no-preserve", "reflink", "sparse"]);
        const recursive = name === "mv" || ["r", "R", "a", "recursive", "archive"].some((f) => o.flags.has(f));
        const targetDir = o.values.get("t") ?? o.values.get("target-directory");
        const sources = targetDir === undefined ? o.operands.slice(0, -1) : o.operands;
        const dest = targetDir ?? o.operands[o.operands.length - 1];
        if (dest === undefined || sources.length === 0) return;
        copy(sources, dest, targetDir !== undefined, recursive, origin);
        if (name === "mv") {
          for (const s of sources) {
            const p = normalizePath(s);
            if (p !== undefined && isInside(p, "/rootfs") && normalizePath(dest) !== p) remove(p);
          }
        }
        return;
      }
      case "ln": {
        const o = options(args, "tS", ["target-directory", "suffix"]);
        if (!o.flags.has("s") && !o.flags.has("symbolic")) return;
        const [target, link, ...more] = o.operands;
        if (target === undefined || link === undefined || more.length > 0) return;
        const p = normalizePath(link);
        if (p === undefined || !isInside(p, "/rootfs")) return;
        const path = knownDir(p) && !o.flags.has("n") && !o.flags.has("T") ? `${p}/${basename(target)}` : p;
        tree.set(path, { path, kind: "symlink", origin });
        return;
      }
      case "rm": {
        for (const r of options(args, "").operands) {
          const p = normalizePath(r);
          if (p === undefined || !isInside(p, "/rootfs")) continue;
          if (isGlob(p))
            for (const key of [...tree.keys()])
              if (globMatch(p, key)) remove(key);
              else remove(p);
        }
        return;
      }
      case "ldconfig":
        ldconfig(args, binary, origin);
        return;
      case "xargs": {
        const o = options(args, "aIdELnPs", ["arg-file", "replace", "delimiter", "max-args"]);
        const list = o.values.get("a") ?? o.values.get("arg-file");
        const replace = o.values.get("I") ?? o.values.get("replace");
        if (list === undefined || o.operands.length === 0) return;
        const rel = normalizePath(list)?.replace(/^\/pkg\/?/, "");
        const text = rel === undefined || !list.startsWith("/pkg/") ? undefined : context.text(rel);
        if (text === undefined) return;
        for (const item of text.split("\n").map((l) => l.trim())) {
          if (item === "") continue;
          const cmdWords =
            replace === undefined ? [...o.operands, item] : o.operands.map((w) => w.replaceAll(replace, item));
          run(cmdWords, origin0, depth + 1);
        }
        return;
      }
      default:
        return;
    }
  };

  /**
   * `/pkg` paths the package writes itself (`cd /pkg/src && go build -o ./tool`, `cp x /pkg/y`): reading them
   * later is not a missing input. Each instruction runs in its own shell, so `cd` lasts one script.
   */
  const written = new Set<string>();
  const pkgRel = (p: string | undefined): string | undefined => {
    if (p === undefined || !isInside(p, "/pkg")) return undefined;
    return p.slice("/pkg".length).replace(/^\//, "");
  };
  const writeTargets = (words: readonly string[], redirects: readonly { op: string; target: string }[]): string[] => {
    const [binary, ...args] = words;
    const name = basename(binary ?? "");
    const out = redirects.filter((r) => r.op.startsWith(">")).map((r) => r.target);
    for (let i = 0; i < args.length; i++) {
      const a = args[i] as string;
      if (a === "-o" || a === "--output") out.push(args[i + 1] ?? "");
      else if (a.startsWith("--output=")) out.push(a.slice("--output=".length));
    }
    if (["cp", "mv", "install", "ln", "mkdir", "touch"].includes(name)) {
      const o = options(args, name === "mkdir" ? "m" : "tmogS", ["target-directory", "mode"]);
      const dir = o.values.get("t") ?? o.values.get("target-directory");
      if (dir !== undefined) out.push(dir);
      else if (name === "mkdir" || name === "touch") out.push(...o.operands);
      else if (o.operands.length > 1) out.push(o.operands[o.operands.length - 1] as string);
    }
    return out;
  };

  const scan = (script: Script) => {
    const pending: PkgRef[] = [];
    let cwd: string | undefined;
    const resolve = (p: string): string | undefined =>
      p.startsWith("/") ? normalizePath(p) : cwd === undefined ? undefined : normalizePath(`${cwd}/${p}`);
    for (const cmd of parseShell(script.text) as SimpleCommand[]) {
      const place = script.lines[cmd.line] ?? script.lines[0] ?? { line: 1, column: 1 };
      const origin0 = { file, place, via: [] as string[] };
      const targets = writeTargets(cmd.words, cmd.redirects);
      for (const t of targets) {
        const rel = pkgRel(resolve(t));
        if (rel !== undefined) written.add(rel);
      }
      for (const word of [...cmd.words, ...cmd.redirects.map((r) => r.target)]) {
        if (targets.includes(word)) continue;
        for (const m of word.matchAll(PKG_REF)) {
          const path = normalizePath(m[1] as string)?.replace(/^\/pkg\/?/, "") ?? "";
          if (path !== "") pending.push({ path, glob: isGlob(path), origin: { ...origin0, how: cmd.words[0] ?? "" } });
        }
      }
      if (cmd.words[0] === "cd") {
        const to = cmd.words[1];
        cwd = to === undefined ? undefined : resolve(to);
      }
      run(cmd.words, origin0, 0);
      for (const r of cmd.redirects) {
        if (!r.op.startsWith(">")) continue;
        const p = normalizePath(r.target);
        if (p !== undefined && isInside(p, "/rootfs")) put(p, "file", { ...origin0, how: `${r.op} redirection` });
      }
    }
    refs.push(...pending);
  };
  // bldr runs each step's phases in this order, steps one after the other.
  const steps = [...new Set(pkg.scripts.map((s) => s.step))];
  for (const step of steps) {
    for (const script of pkg.scripts.filter((s) => s.step === step)) scan(script);
    for (const sbom of pkg.sboms.filter((s) => s.step === step)) {
      const p = normalizePath(sbom.value);
      if (p !== undefined && isInside(p, "/rootfs")) put(p, "file", { file, place: sbom.place, how: "sbom", via: [] });
    }
  }

  const output = new Map<string, Install>();
  for (const fin of pkg.finalize) {
    const from = normalizePath(fin.from) ?? "/";
    const to = normalizePath(fin.to) ?? "/";
    if (isInside(from, "/pkg")) {
      const rel = from.replace(/^\/pkg\/?/, "");
      refs.push({ path: rel, glob: isGlob(rel), origin: { file, place: fin.place, how: "finalize", via: [] } });
      continue;
    }
    for (const e of tree.values()) {
      if (!isInside(e.path, from)) continue;
      const path = rebase(e.path, from, to);
      output.set(path, { ...e, path });
    }
  }
  const producedHere = (ref: PkgRef): boolean =>
    [...written].some((w) => (ref.glob ? globMatch(ref.path, w) : ref.path === w || ref.path.startsWith(`${w}/`)));
  return { output, refs: refs.filter((r) => !producedHere(r)) };
}
