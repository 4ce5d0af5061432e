/** `talos-ext/report`: findings, checks run over a model, exit codes, and the renderers. */
export {
  type Check,
  type CheckInfo,
  exitCode,
  type FailOn,
  failsAt,
  type InputError,
  parseFailOn,
  runChecks,
  type VerifyResult,
} from "./check.js";
export { EXIT_FINDINGS, EXIT_INPUT, EXIT_OK } from "./exit.js";
export { type Finding, type FindingCode, SEVERITIES, type Severity, sortFindings } from "./finding.js";
export { renderGithub } from "./render/github.js";
export { renderHuman, useColor } from "./render/human.js";
export {
  parseReportFormat,
  REPORT_FORMATS,
  type ReportFormat,
  type ReportOptions,
  renderReport,
} from "./render/index.js";
export { renderJson } from "./render/json.js";
export { renderSarif } from "./render/sarif.js";
