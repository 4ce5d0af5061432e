/** The terminal report: findings grouped by artifact, each with its code, place, message, why and fix. */
import type { VerifyResult } from "../check.js";
import { countBySeverity, type Finding, type Severity } from "../finding.js";

/**
 * Colour only on a terminal, and not when NO_COLOR is set to a non-empty value (no-color.org: an empty
 * NO_COLOR does not count).
 */
export function useColor(stream: { readonly isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && !env.NO_COLOR;
}

const SGR = {
  reset: "\x1b[0m",
  bold: "\x1b[1m",
  dim: "\x1b[2m",
  red: "\x1b[31m",
  yellow: "\x1b[33m",
  cyan: "\x1b[36m",
};
const SEVERITY_COLOR: Record<Severity, string> = { error: SGR.red, warning: SGR.yellow, info: SGR.cyan };

/**
 * Control characters from the inputs (file names inside an archive, module strings) are shown as \xNN, so an
 * artifact cannot move the cursor or recolour the terminal. Newlines stay: they are indented by the caller.
 */
function visible(s: string): string {
  let out = "";
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    out += (c < 0x20 && c !== 0x0a) || (c >= 0x7f && c <= 0x9f) ? `\\x${c.toString(16).padStart(2, "0")}` : ch;
  }
  return out;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

function place(f: Finding): string {
  const at = f.path ?? f.artifact;
  return f.line === undefined ? at : `${at}:${f.line}${f.column === undefined ? "" : `:${f.column}`}`;
}

export function renderHuman(result: VerifyResult, options: { readonly color: boolean }): string {
  const paint = (codes: string, s: string): string => (options.color ? `${codes}${s}${SGR.reset}` : s);
  const field = (label: string, text: string): string =>
    `    ${paint(SGR.dim, label.padEnd(5))} ${visible(text).replaceAll("\n", `\n${" ".repeat(10)}`)}`;

  const out: string[] = [];
  let artifact: string | undefined;
  for (const f of result.findings) {
    if (f.artifact !== artifact) {
      if (artifact !== undefined) out.push("");
      artifact = f.artifact;
      out.push(paint(SGR.bold, visible(artifact)));
    }
    out.push(
      `  ${paint(SGR.bold + SEVERITY_COLOR[f.severity], f.severity)} ${paint(SGR.bold, f.code)}  ${visible(f.title)}`,
    );
    out.push(field("at", place(f)), field("", f.message), field("why", f.explain), field("fix", f.fix));
  }
  if (result.inputErrors.length > 0) {
    if (out.length > 0) out.push("");
    for (const e of result.inputErrors) {
      // Reader errors already start with the file they name.
      const text = e.message.startsWith(`${e.artifact}:`) ? e.message : `${e.artifact}: ${e.message}`;
      out.push(`${paint(SGR.bold + SGR.red, "cannot read")} ${visible(text)}`);
    }
  }
  if (out.length > 0) out.push("");
  const counts = countBySeverity(result.findings);
  const summary =
    result.findings.length === 0
      ? "No findings"
      : `${plural(result.findings.length, "finding")}: ${plural(counts.error, "error")}, ${plural(counts.warning, "warning")}, ${counts.info} info`;
  const unread = result.inputErrors.length;
  out.push(unread === 0 ? `${summary}.` : `${summary}; ${plural(unread, "input")} could not be read.`);
  return `${out.join("\n")}\n`;
}
