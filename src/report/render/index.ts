/** One entry point for every command's report: the format chosen on the command line, rendered. */
import type { CheckInfo, FailOn, VerifyResult } from "../check.js";
import { renderGithub } from "./github.js";
import { renderHuman } from "./human.js";
import { renderJson } from "./json.js";
import { renderSarif } from "./sarif.js";

export const REPORT_FORMATS = ["human", "json", "sarif", "github"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** `--format`'s value, or an error naming the accepted ones. */
export function parseReportFormat(value: string): ReportFormat {
  const format = REPORT_FORMATS.find((f) => f === value);
  if (format === undefined) throw new Error(`--format: expected one of ${REPORT_FORMATS.join(", ")}, got '${value}'`);
  return format;
}

export interface ReportOptions {
  readonly toolVersion: string;
  readonly failOn: FailOn;
  /** Every check that ran, so SARIF lists a rule even when it found nothing. */
  readonly checks: readonly CheckInfo[];
  readonly color: boolean;
  /** Text the human report starts with (p2p's matrices). */
  readonly humanPreamble?: string;
}

export function renderReport(format: ReportFormat, result: VerifyResult, options: ReportOptions): string {
  switch (format) {
    case "json":
      return renderJson(result, { toolVersion: options.toolVersion, failOn: options.failOn });
    case "sarif":
      return renderSarif(result, { toolVersion: options.toolVersion, checks: options.checks });
    case "github":
      return renderGithub(result);
    case "human": {
      const human = renderHuman(result, { color: options.color });
      return options.humanPreamble === undefined ? human : `${options.humanPreamble}\n${human}`;
    }
  }
}
