/**
 * The paths a command writes, whatever it is: its output redirections, `-o`/`--output`, and the destinations
 * of file commands.
 */
import { parseOptions } from "./argv.js";
import { basename } from "./paths.js";

const FILE_COMMANDS = ["cp", "mv", "install", "ln", "mkdir", "touch"];

/** The words and redirection targets naming what `words` writes (as written, not resolved). */
export function writeTargets(words: readonly string[], redirects: readonly { op: string; target: string }[]): string[] {
  const [binary, ...args] = words;
  const name = basename(binary ?? "");
  const out = redirects.filter((r) => r.op.startsWith(">")).map((r) => r.target);
  out.push(...outputOptions(args));
  if (FILE_COMMANDS.includes(name)) out.push(...destinations(name, args));
  return out;
}

/** `-o PATH`, `--output PATH`, `--output=PATH` (compilers, `go build`, `curl`). */
function outputOptions(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === "-o" || a === "--output") out.push(args[i + 1] ?? "");
    else if (a.startsWith("--output=")) out.push(a.slice("--output=".length));
  }
  return out;
}

/** The target directory, the operands of `mkdir`/`touch`, or the last operand of a copy or link. */
function destinations(name: string, args: readonly string[]): string[] {
  const o = parseOptions(args, name === "mkdir" ? "m" : "tmogS", ["target-directory", "mode"]);
  const dir = o.values.get("t") ?? o.values.get("target-directory");
  if (dir !== undefined) return [dir];
  if (name === "mkdir" || name === "touch") return o.operands;
  if (o.operands.length > 1) return [o.operands[o.operands.length - 1] as string];
  return [];
}
