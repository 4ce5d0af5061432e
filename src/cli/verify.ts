import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { checks } from "../../verify/checks/index.js";
import { loadModel } from "../../verify/load.js";
import type { Role } from "../../verify/model.js";
import { terminalProgress } from "../../verify/progress.js";
import { DEFAULT_PLATFORM, parsePlatform } from "../formats/oci/archive.js";
import { FormatError, LimitError } from "../io/errors.js";
import { exitCode, parseFailOn, runChecks, type VerifyResult } from "../report/check.js";
import { EXIT_INPUT } from "../report/exit.js";
import { useColor } from "../report/render/human.js";
import { parseReportFormat, renderReport } from "../report/render/index.js";
import { type MachineConfig, MachineConfigError, parseMachineConfig } from "../talos/machine-config.js";
import type { Command } from "./command.js";
import { toolVersion } from "./version.js";

async function readMachineConfig(file: string | undefined): Promise<MachineConfig | undefined> {
  if (file === undefined) return undefined;
  const text = await readFile(file, "utf8").catch((err: NodeJS.ErrnoException) => {
    throw new MachineConfigError(file, `cannot read the machine configuration: ${err.message}`);
  });
  return parseMachineConfig(text, file);
}

export const verify: Command = {
  name: "verify",
  summary: "Verify an installer and the other links of its signing chain: keys, vermagic, stomping, overlay order",
  usage: [
    "Usage: talos-ext verify [INSTALLER.tar] [--kernel K.tar] [--installer-base B.tar] [--modules M.tar]",
    "                        [--extension E.tar] [--format human|json|sarif|github] [--fail-on error|warning|info|none]",
    "                        [--platform os/arch[/variant]] [--machine-config FILE]",
    "",
    "Each input is an image archive (docker save or OCI layout tar), named by its role in the chain",
    "kernel -> installer-base -> module package -> sysext wrapper -> installer. Module signatures are judged",
    "against the certificate built into the installer's kernel (else the first kernel given).",
    "--machine-config FILE (Talos v1alpha1 YAML, multi-document) checks machine.kernel.modules against the",
    "installer's modules and the modprobe.d files machined does not read.",
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
        "machine-config": { type: "string" },
      },
    });
    const format = parseReportFormat(values.format as string);
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
      const machineConfig = await readMachineConfig(values["machine-config"]);
      const model = await loadModel(inputs, platform, terminalProgress(process.stderr));
      result = await runChecks(checks, machineConfig ? { ...model, machineConfig } : model);
    } catch (err) {
      if (!(err instanceof FormatError || err instanceof LimitError || err instanceof MachineConfigError)) throw err;
      result = { findings: [], inputErrors: [{ artifact: err.file, message: err.message }] };
    }
    process.stdout.write(
      renderReport(format, result, {
        toolVersion: toolVersion(),
        failOn,
        checks: checks,
        color: useColor(process.stdout, process.env),
      }),
    );
    return exitCode(result, failOn);
  },
};
