/**
 * GitHub Actions workflow commands (`::error file=…,line=…,col=…,title=…::message`), one annotation per
 * finding. Escaping follows the Actions toolkit (packages/core/src/command.ts): in the message `%`, CR and LF;
 * in property values also `:` and `,`, which would otherwise end the value.
 */
import type { VerifyResult } from "../check.js";
import type { Finding, Severity } from "../finding.js";

const COMMAND: Record<Severity, string> = { error: "error", warning: "warning", info: "notice" };

export const escapeData = (s: string): string => s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");

export const escapeProperty = (s: string): string => escapeData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");

function command(name: string, properties: Record<string, string | number | undefined>, message: string): string {
  const props = Object.entries(properties)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined && entry[1] !== "")
    .map(([key, value]) => `${key}=${escapeProperty(String(value))}`)
    .join(",");
  return `::${name}${props ? ` ${props}` : ""}::${escapeData(message)}`;
}

function annotation(f: Finding): string {
  const lines = [f.message, ...(f.path === undefined ? [] : [`at ${f.path}`]), `why: ${f.explain}`, `fix: ${f.fix}`];
  return command(
    COMMAND[f.severity],
    { title: `${f.code} ${f.title}`, file: f.artifact, line: f.line, col: f.line === undefined ? undefined : f.column },
    lines.join("\n"),
  );
}

export function renderGithub(result: VerifyResult): string {
  const out = [
    ...result.findings.map(annotation),
    ...result.inputErrors.map((e) => command("error", { title: "unreadable input", file: e.artifact }, e.message)),
  ];
  return out.length === 0 ? "" : `${out.join("\n")}\n`;
}
