import { parseArgs } from "node:util";
import {
  type CheckInfo,
  exitCode,
  type FailOn,
  parseFailOn,
  runChecks,
  type VerifyResult,
} from "../../verify/check.js";
import { checks } from "../../verify/checks/index.js";
import { loadModel } from "../../verify/load.js";
import type { Role } from "../../verify/model.js";
import { terminalProgress } from "../../verify/progress.js";
import { renderGithub } from "../../verify/render/github.js";
import { renderHuman, useColor } from "../../verify/render/human.js";
import { renderJson } from "../../verify/render/json.js";
import { renderSarif } from "../../verify/render/sarif.js";
import { FormatError, LimitError } from "../errors.js";
import { DEFAULT_PLATFORM, parsePlatform } from "../formats/oci/archive.js";
import { type Command, EXIT_INPUT } from "./command.js";
import { toolVersion } from "./version.js";

const FORMATS = ["human", "json", "sarif", "github"] as const;

function render(format: (typeof FORMATS)[number], result: VerifyResult, failOn: FailOn): string {
  const version = toolVersion();
  const infos: CheckInfo[] = checks.map(({ code, title, severity, explain, fix }) => ({
    code,
    title,
    severity,
    explain,
    fix,
  }));
  switch (format) {
    case "json":
      return renderJson(result, { toolVersion: version, failOn });
    case "sarif":
      return renderSarif(result, { toolVersion: version, checks: infos });
    case "github":
      return renderGithub(result);
    default:
      return renderHuman(result, { color: useColor(process.stdout, process.env) });
  }
}

export const verify: Command = {
  name: "verify",
  summary: "Verify an installer and the other links of its signing chain: keys, vermagic, stomping, overlay order",
  usage: [
    "Usage: talos-ext verify [INSTALLER.tar] [--kernel K.tar] [--installer-base B.tar] [--modules M.tar]",
    "                        [--extension E.tar] [--format human|json|sarif|github] [--fail-on error|warning|info|none]",
    "                        [--platform os/arch[/variant]]",
    "",
    "Each input is an image archive (docker save or OCI layout tar), named by its role in the chain",
    "kernel -> installer-base -> module package -> sysext wrapper -> installer. Module signatures are judged",
    "against the certificate built into the installer's kernel (else the first kernel given).",
    "Exit codes: 0 clean, 1 findings at or above --fail-on (default error), 2 an input could not be read.",
  ].join("\n"),
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        kernel: { type: "string" },
        "installer-base": { type: "string" },
        modules: { type: "string" },
        extension: { type: "string" },
        format: { type: "string", default: "human" },
        "fail-on": { type: "string", default: "error" },
        platform: { type: "string" },
      },
    });
    const format = FORMATS.find((f) => f === values.format);
    if (format === undefined)
      throw new Error(`--format: expected one of ${FORMATS.join(", ")}, got '${values.format}'`);
    const failOn = parseFailOn(values["fail-on"] as string);
    const inputs: { role: Role; file: string }[] = [];
    for (const role of ["kernel", "installer-base", "modules", "extension"] as const) {
      const file = values[role];
      if (file !== undefined) inputs.push({ role, file });
    }
    if (positionals.length > 1) throw new Error("at most one installer may be given");
    if (positionals[0] !== undefined) inputs.push({ role: "installer", file: positionals[0] });
    if (inputs.length === 0) {
      process.stderr.write(`${this.usage}\n`);
      return EXIT_INPUT;
    }
    let result: VerifyResult;
    try {
      const platform = values.platform ? parsePlatform(values.platform) : DEFAULT_PLATFORM;
      // Progress only on a terminal's stderr: a pipe or a CI log gets the report alone.
      const model = await loadModel(inputs, platform, terminalProgress(process.stderr));
      result = await runChecks(checks, model);
    } catch (err) {
      if (!(err instanceof FormatError || err instanceof LimitError)) throw err;
      result = { findings: [], inputErrors: [{ artifact: err.file, message: err.message }] };
    }
    process.stdout.write(render(format, result, failOn));
    return exitCode(result, failOn);
  },
};
