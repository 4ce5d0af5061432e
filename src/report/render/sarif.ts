/**
 * SARIF 2.1.0 (OASIS), for code-scanning uploads: one rule per check code, one result per finding. The
 * artifact is the physical location; the place inside it (`installer.tar!…!nvidia.ko`) is a logical location,
 * since SARIF has no URI for a member of a SquashFS inside a cpio inside a tar.
 */
import type { CheckInfo, VerifyResult } from "../check.js";
import { type Finding, type FindingCode, findingArea, type Severity } from "../finding.js";

export const SARIF_SCHEMA =
  "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

const LEVEL: Record<Severity, "error" | "warning" | "note"> = { error: "error", warning: "warning", info: "note" };

/** A relative or absolute path as a URI reference: each segment percent-encoded, `/` kept. */
const uriReference = (path: string): string => path.split("/").map(encodeURIComponent).join("/");

function rule(info: CheckInfo) {
  return {
    id: info.code,
    shortDescription: { text: info.title },
    fullDescription: { text: info.explain },
    help: { text: `${info.explain}\n\nFix: ${info.fix}`, markdown: `${info.explain}\n\n**Fix:** ${info.fix}` },
    defaultConfiguration: { level: LEVEL[info.severity] },
    properties: { tags: [findingArea(info.code)] },
  };
}

function location(f: Finding) {
  return {
    physicalLocation: {
      artifactLocation: { uri: uriReference(f.artifact) },
      ...(f.line === undefined
        ? {}
        : { region: { startLine: f.line, ...(f.column === undefined ? {} : { startColumn: f.column }) } }),
    },
    ...(f.path === undefined
      ? {}
      : {
          logicalLocations: [
            { name: f.path.slice(f.path.lastIndexOf("!") + 1), fullyQualifiedName: f.path, kind: "resource" },
          ],
        }),
  };
}

/**
 * `checks` are all the checks that ran, so that a rule with no result is still listed (code scanning closes
 * its alerts); a finding whose code no check declares gets a rule from its own title, explanation and fix.
 */
export function renderSarif(
  result: VerifyResult,
  options: { readonly toolVersion: string; readonly checks: readonly CheckInfo[] },
): string {
  const infos = new Map<FindingCode, CheckInfo>();
  for (const c of options.checks) infos.set(c.code, c);
  for (const f of result.findings) if (!infos.has(f.code)) infos.set(f.code, f);
  const codes = [...infos.keys()].sort();
  const index = new Map(codes.map((code, i) => [code, i]));

  const log = {
    $schema: SARIF_SCHEMA,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "talos-ext",
            version: options.toolVersion,
            rules: codes.map((code) => rule(infos.get(code) as CheckInfo)),
          },
        },
        invocations: [
          {
            executionSuccessful: result.inputErrors.length === 0,
            toolExecutionNotifications: result.inputErrors.map((e) => ({
              level: "error",
              message: { text: e.message },
              locations: [{ physicalLocation: { artifactLocation: { uri: uriReference(e.artifact) } } }],
            })),
          },
        ],
        // Columns come from JavaScript string offsets.
        columnKind: "utf16CodeUnits",
        results: result.findings.map((f) => ({
          ruleId: f.code,
          ruleIndex: index.get(f.code),
          level: LEVEL[f.severity],
          message: { text: f.message },
          locations: [location(f)],
          ...(f.details === undefined ? {} : { properties: { details: f.details } }),
        })),
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
