import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import {
  type CheckInfo,
  exitCode,
  type FailOn,
  type InputError,
  parseFailOn,
  runChecks,
  type VerifyResult,
} from "../../verify/check.js";
import { sortFindings } from "../../verify/finding.js";
import { renderGithub } from "../../verify/render/github.js";
import { renderHuman, useColor } from "../../verify/render/human.js";
import { renderJson } from "../../verify/render/json.js";
import { renderSarif } from "../../verify/render/sarif.js";
import { FormatError, LimitError } from "../errors.js";
import { renderPng } from "../p2p/image/png.js";
import { buildScene } from "../p2p/image/scene.js";
import { renderSvg } from "../p2p/image/svg.js";
import { P2P_CHECKS } from "../p2p/judge.js";
import { readP2PFile } from "../p2p/load.js";
import type { P2PNode } from "../p2p/model.js";
import { renderTables } from "../p2p/table.js";
import { type Command, EXIT_INPUT } from "./command.js";
import { toolVersion } from "./version.js";

const FORMATS = ["human", "json", "sarif", "github"] as const;

function render(format: (typeof FORMATS)[number], nodes: readonly P2PNode[], result: VerifyResult, failOn: FailOn) {
  const version = toolVersion();
  const infos: CheckInfo[] = P2P_CHECKS.map(({ code, title, severity, explain, fix }) => ({
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
      return `${renderTables(nodes)}\n${renderHuman(result, { color: useColor(process.stdout, process.env) })}`;
  }
}

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
    const format = FORMATS.find((f) => f === values.format);
    if (format === undefined)
      throw new Error(`--format: expected one of ${FORMATS.join(", ")}, got '${values.format}'`);
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
    process.stdout.write(render(format, nodes, result, failOn));
    return exitCode(result, failOn);
  },
};
