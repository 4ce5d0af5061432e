/** The machine report: a stable JSON document; `schemaVersion` changes only when a field changes meaning. */
import { exitCode, type FailOn, type InputError, type VerifyResult } from "../check.js";
import { countBySeverity, type Finding, type SeverityCounts } from "../finding.js";

export const JSON_SCHEMA_VERSION = 1;

export interface JsonReport {
  readonly schemaVersion: typeof JSON_SCHEMA_VERSION;
  readonly tool: { readonly name: "talos-ext"; readonly version: string };
  readonly failOn: FailOn;
  readonly exitCode: number;
  readonly summary: SeverityCounts;
  /** In `compareFindings` order; optional fields are left out when absent. */
  readonly findings: readonly Finding[];
  readonly inputErrors: readonly InputError[];
}

/** Fields in one fixed order, so that equal reports are equal byte for byte. */
function finding(f: Finding): Finding {
  return {
    code: f.code,
    severity: f.severity,
    title: f.title,
    message: f.message,
    artifact: f.artifact,
    ...(f.path === undefined ? {} : { path: f.path }),
    ...(f.line === undefined ? {} : { line: f.line }),
    ...(f.column === undefined ? {} : { column: f.column }),
    explain: f.explain,
    fix: f.fix,
    ...(f.details === undefined ? {} : { details: f.details }),
  };
}

export function renderJson(
  result: VerifyResult,
  options: { readonly toolVersion: string; readonly failOn: FailOn },
): string {
  const report: JsonReport = {
    schemaVersion: JSON_SCHEMA_VERSION,
    tool: { name: "talos-ext", version: options.toolVersion },
    failOn: options.failOn,
    exitCode: exitCode(result, options.failOn),
    summary: countBySeverity(result.findings),
    findings: result.findings.map(finding),
    inputErrors: result.inputErrors.map((e) => ({ artifact: e.artifact, message: e.message })),
  };
  return `${JSON.stringify(report, null, 2)}\n`;
}
