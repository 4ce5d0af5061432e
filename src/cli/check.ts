import { join } from "node:path";
import { parseArgs } from "node:util";
import { checkRepository } from "../repo/check.js";
import { repoChecks } from "../repo/checks/index.js";
import { exitCode, parseFailOn, type VerifyResult } from "../report/check.js";
import { EXIT_INPUT } from "../report/exit.js";
import { useColor } from "../report/render/human.js";
import { parseReportFormat, renderReport } from "../report/render/index.js";
import { talosRules } from "../talos/rules.js";
import type { Command } from "./command.js";
import { toolVersion } from "./version.js";

export const check: Command = {
  name: "check",
  summary: "Check an extensions repository before merge: manifests, templates, build inputs, install paths, overlaps",
  usage: [
    "Usage: talos-ext check [REPO] [--changed-since REF] [--talos VERSION]",
    "                       [--format human|json|sarif|github] [--fail-on error|warning|info|none]",
    "",
    "REPO is laid out like siderolabs/extensions (default: the current directory). Every directory with a",
    "pkg.yaml and a manifest.yaml.tmpl (or manifest.yaml) is an extension. Templates are rendered as bldr",
    "renders them for linux/amd64; install paths are read from pkg.yaml steps without building.",
    "  --changed-since REF  only the extensions whose files changed in REF...HEAD (git), e.g. origin/main",
    "  --talos VERSION      the Talos release to judge paths and constraints for (default: .kres.yaml's PKGS)",
    "File paths in findings are REPO joined with the path inside it.",
    "Exit codes: 0 clean, 1 findings at or above --fail-on (default error), 2 nothing could be checked.",
  ].join("\n"),
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        "changed-since": { type: "string" },
        talos: { type: "string" },
        format: { type: "string", default: "human" },
        "fail-on": { type: "string", default: "error" },
      },
    });
    const format = parseReportFormat(values.format as string);
    const failOn = parseFailOn(values["fail-on"] as string);
    if (positionals.length > 1) {
      process.stderr.write(`${this.usage}\n`);
      return EXIT_INPUT;
    }
    const talos = values.talos;
    if (talos !== undefined) {
      try {
        talosRules(talos);
      } catch (err) {
        throw new Error(`--talos: ${(err as Error).message}`);
      }
    }
    const repo = positionals[0] ?? ".";
    const changedSince = values["changed-since"];
    const result = await checkRepository(repo, {
      ...(talos === undefined ? {} : { talos }),
      ...(changedSince === undefined ? {} : { changedSince }),
    });
    // Paths as the user can open them from where they ran the command (and as GitHub annotates them).
    const shown: VerifyResult = {
      findings: result.findings.map((f) => ({ ...f, artifact: join(repo, f.artifact) })),
      inputErrors: result.inputErrors,
    };
    process.stdout.write(
      renderReport(format, shown, {
        toolVersion: toolVersion(),
        failOn,
        checks: repoChecks,
        color: useColor(process.stdout, process.env),
      }),
    );
    return exitCode(shown, failOn);
  },
};
