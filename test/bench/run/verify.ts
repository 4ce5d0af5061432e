/**
 * `verify` of one installer in a process of its own, so its peak memory is its alone (bench/verify.ts runs it):
 * prints wall seconds, max RSS, modules read and findings as one JSON line.
 * Usage: node dist/test/bench/run/verify.js INSTALLER.tar
 */
import { runChecks } from "../../../src/report/check.js";
import { checks } from "../../../verify/checks/index.js";
import { loadModel } from "../../../verify/load.js";

const t0 = process.hrtime.bigint();
const model = await loadModel([{ role: "installer", file: process.argv[2] as string }]);
const { findings } = await runChecks(checks, model);
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const rssMiB = process.resourceUsage().maxRSS / 1024;
const modules = model.artifacts[0]?.modules.length ?? 0;
process.stdout.write(`${JSON.stringify({ seconds, rssMiB, modules, findings: findings.length })}\n`);
