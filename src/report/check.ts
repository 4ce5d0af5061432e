/**
 * The contract of one verify check (one file each under verify/checks/), running them, and turning the
 * result into an exit code.
 */

import { FormatError, LimitError } from "../io/errors.js";
import { EXIT_FINDINGS, EXIT_INPUT, EXIT_OK } from "./exit.js";
import {
  type Finding,
  type FindingCode,
  type FindingDetail,
  SEVERITIES,
  type Severity,
  severityRank,
  sortFindings,
} from "./finding.js";

/** One check, generic over the model of the inputs it reads. Every finding it returns carries its code. */
export interface Check<M> {
  readonly code: FindingCode;
  readonly title: string;
  readonly severity: Severity;
  readonly explain: string;
  readonly fix: string;
  run(model: M): Finding[] | Promise<Finding[]>;
}

/** What a check says about itself, without its code to run: what SARIF rules and finding defaults use. */
export type CheckInfo = Omit<Check<unknown>, "run">;

/** Where a finding is and what it says; the rest comes from the check. */
export interface FindingAt {
  readonly artifact: string;
  readonly path?: string;
  readonly line?: number;
  readonly column?: number;
  readonly message: string;
  readonly details?: readonly FindingDetail[];
}

/** A finding of `check` at `at`, with the check's code, severity, title, explanation and fix. */
export function findingOf(check: CheckInfo, at: FindingAt): Finding {
  const { code, severity, title, explain, fix } = check;
  return { code, severity, title, explain, fix, ...at };
}

/** An input that could not be read: the run cannot vouch for it, whatever the findings say. */
export interface InputError {
  readonly artifact: string;
  readonly message: string;
}

export interface VerifyResult {
  /** Sorted with `compareFindings`. */
  readonly findings: readonly Finding[];
  readonly inputErrors: readonly InputError[];
}

/**
 * Runs every check on the model, one after the other. A check that meets unreadable input (FormatError or
 * LimitError) becomes an input error and the others still run; any other exception is a bug and propagates.
 */
export async function runChecks<M>(checks: readonly Check<M>[], model: M): Promise<VerifyResult> {
  const codes = new Set<string>();
  for (const check of checks) {
    if (codes.has(check.code)) throw new Error(`two checks share the code ${check.code}`);
    codes.add(check.code);
  }
  const findings: Finding[] = [];
  const inputErrors: InputError[] = [];
  for (const check of checks) {
    try {
      for (const f of await check.run(model)) {
        if (f.code !== check.code) throw new Error(`check ${check.code} returned a finding coded ${f.code}`);
        findings.push(f);
      }
    } catch (err) {
      if (!(err instanceof FormatError || err instanceof LimitError)) throw err;
      inputErrors.push({ artifact: err.file, message: err.message });
    }
  }
  return { findings: sortFindings(findings), inputErrors };
}

/** `--fail-on`: the least severe finding that fails the run, or `none` to fail only on unreadable input. */
export type FailOn = Severity | "none";

export const FAIL_ON_VALUES: readonly FailOn[] = [...SEVERITIES, "none"];

export function parseFailOn(value: string): FailOn {
  const found = FAIL_ON_VALUES.find((v) => v === value);
  if (found === undefined) throw new Error(`--fail-on: expected one of ${FAIL_ON_VALUES.join(", ")}, got '${value}'`);
  return found;
}

/** Whether a finding of this severity fails a run with this threshold. */
export const failsAt = (severity: Severity, failOn: FailOn): boolean =>
  failOn !== "none" && severityRank(severity) <= severityRank(failOn);

/** 2 when any input was unreadable, else 1 when a finding is at or above the threshold, else 0. */
export function exitCode(result: VerifyResult, failOn: FailOn): number {
  if (result.inputErrors.length > 0) return EXIT_INPUT;
  return result.findings.some((f) => failsAt(f.severity, failOn)) ? EXIT_FINDINGS : EXIT_OK;
}
