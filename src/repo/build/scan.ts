/** One script of a step, command by command: what it writes, and the `/pkg` files it reads. */
import type { Origin, PkgRef } from "../installs.js";
import type { Script } from "../pkg.js";
import { parseShell, type SimpleCommand } from "../shell.js";
import { type Build, interpret } from "./commands.js";
import { inRootfs, isGlob, normalizePath, pkgRel } from "./paths.js";
import { writeTargets } from "./writes.js";

/** A `/pkg` path in a word, alone or after `=` or `:` (`--config=/pkg/x`, `PATH=/pkg/bin:…`). */
const PKG_REF = /(?:^|[=:])(\/pkg(?:\/[^\s'"$;|&<>`]*)?)/g;

/** What the scripts of a package read from and write to `/pkg`. */
export interface PkgUse {
  readonly refs: PkgRef[];
  /**
   * `/pkg` paths the package writes itself (`cd /pkg/src && go build -o ./tool`, `cp x /pkg/y`): reading them
   * later is not a missing input.
   */
  readonly written: Set<string>;
}

/** Interprets `script` into `b`, and adds what it reads and writes under `/pkg` to `use`. */
export function scanScript(b: Build, file: string, script: Script, use: PkgUse): void {
  // Each instruction runs in its own shell, so `cd` lasts one script.
  let cwd: string | undefined;
  const resolve = (p: string): string | undefined =>
    p.startsWith("/") ? normalizePath(p) : cwd === undefined ? undefined : normalizePath(`${cwd}/${p}`);
  for (const cmd of parseShell(script.text) as SimpleCommand[]) {
    const place = script.lines[cmd.line] ?? script.lines[0] ?? { line: 1, column: 1 };
    const at = { file, place, via: [] as string[] };
    const targets = writeTargets(cmd.words, cmd.redirects);
    for (const t of targets) {
      const rel = pkgRel(resolve(t));
      if (rel !== undefined) use.written.add(rel);
    }
    use.refs.push(...pkgReads(cmd, targets, at));
    if (cmd.words[0] === "cd") {
      const to = cmd.words[1];
      cwd = to === undefined ? undefined : resolve(to);
    }
    interpret(b, cmd.words, at);
    redirections(b, cmd, at);
  }
}

/** The `/pkg` paths a command's words and redirections name, other than those it writes. */
function pkgReads(cmd: SimpleCommand, targets: readonly string[], at: Omit<Origin, "how">): PkgRef[] {
  const refs: PkgRef[] = [];
  for (const word of [...cmd.words, ...cmd.redirects.map((r) => r.target)]) {
    if (targets.includes(word)) continue;
    for (const m of word.matchAll(PKG_REF)) {
      const path = normalizePath(m[1] as string)?.replace(/^\/pkg\/?/, "") ?? "";
      if (path !== "") refs.push({ path, glob: isGlob(path), origin: { ...at, how: cmd.words[0] ?? "" } });
    }
  }
  return refs;
}

/** `> FILE` and `>> FILE` under `/rootfs` write a file. */
function redirections(b: Build, cmd: SimpleCommand, at: Omit<Origin, "how">): void {
  for (const r of cmd.redirects) {
    if (!r.op.startsWith(">")) continue;
    const p = normalizePath(r.target);
    if (inRootfs(p)) b.state.put(p, "file", { ...at, how: `${r.op} redirection` });
  }
}
