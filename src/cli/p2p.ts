import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { FormatError, LimitError } from "../io/errors.js";
import { P2P_CHECKS } from "../p2p/checks/index.js";
import { renderPng } from "../p2p/image/png.js";
import { buildScene } from "../p2p/image/scene.js";
import { renderSvg } from "../p2p/image/svg.js";
import { readP2PFile } from "../p2p/load.js";
import type { P2PNode } from "../p2p/model.js";
import { renderTables } from "../p2p/table.js";
import { exitCode, type InputError, parseFailOn, runChecks, type VerifyResult } from "../report/check.js";
import { EXIT_INPUT } from "../report/exit.js";
import { sortFindings } from "../report/finding.js";
import { useColor } from "../report/render/human.js";
import { parseReportFormat, renderReport } from "../report/render/index.js";
import type { Command } from "./command.js";
import { toolVersion } from "./version.js";

export const p2p: Command = {
  name: "p2p",
  summary: "Judge measured GPU peer-to-peer: the node probe's JSON or p2pBandwidthLatencyTest output",
  usage: [
    "Usage: talos-ext p2p report FILE... [--svg OUT.svg] [--png OUT.png]",
    "                            [--format human|json|sarif|github] [--fail-on error|warning|info|none]",
    "",
    "Each FILE is the JSON of extensions/nvidia-p2p/probe (one node, or an array of nodes) or the text output",
    "of NVIDIA's p2pBandwidthLatencyTest. Prints the connectivity, bandwidth and latency matrices (human format)",
    "and TE7xxx findings: no peer access, peer access that cannot be enabled, P2P no faster than the host",
    "bounce, wrong data, asymmetric or slow pairs, latency that did not drop, a BAR1 smaller than memory.",
    "--svg and --png write the matrices as a heat map.",
    "Exit codes: 0 clean, 1 findings at or above --fail-on (default error), 2 an input could not be read.",
  ].join("\n"),
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        svg: { type: "string" },
        png: { type: "string" },
        format: { type: "string", default: "human" },
        "fail-on": { type: "string", default: "error" },
      },
    });
    const format = parseReportFormat(values.format as string);
    const failOn = parseFailOn(values["fail-on"] as string);
    const [sub, ...files] = positionals;
    if (sub !== "report" || files.length === 0) {
      process.stderr.write(`${this.usage}\n`);
      return EXIT_INPUT;
    }
    const nodes: P2PNode[] = [];
    const inputErrors: InputError[] = [];
    for (const file of files) {
      try {
        nodes.push(...(await readP2PFile(file)));
      } catch (err) {
        if (err instanceof FormatError || err instanceof LimitError)
          inputErrors.push({ artifact: err.file, message: err.message });
        else if ((err as NodeJS.ErrnoException).code !== undefined)
          inputErrors.push({ artifact: file, message: `${file}: ${(err as Error).message}` });
        else throw err;
      }
    }
    const checked = await runChecks(P2P_CHECKS, nodes);
    const result: VerifyResult = {
      findings: sortFindings(checked.findings),
      inputErrors: [...checked.inputErrors, ...inputErrors],
    };
    if (values.svg !== undefined || values.png !== undefined) {
      const scene = buildScene(nodes);
      if (values.svg !== undefined) await writeFile(values.svg, renderSvg(scene));
      if (values.png !== undefined) await writeFile(values.png, renderPng(scene, values.png));
    }
    process.stdout.write(
      renderReport(format, result, {
        toolVersion: toolVersion(),
        failOn,
        checks: P2P_CHECKS,
        color: useColor(process.stdout, process.env),
        humanPreamble: renderTables(nodes),
      }),
    );
    return exitCode(result, failOn);
  },
};
