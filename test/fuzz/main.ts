/**
 * The fuzzer's command line (built by `npm run build`, run as `npm run fuzz -- ...`):
 *
 *   --seconds N        the run's time budget, shared evenly by the targets run (default 60)
 *   --target NAME      one target (repeatable); default: every target
 *   --seed S           the run seed (default: from the clock, printed); iteration i of seed S is always the same input
 *   --list             the targets and their seed counts
 *   --replay FILE      run one saved input of --target and print its outcome
 *   --repro ITERATION  make iteration ITERATION of --seed again, save it under test/fuzz/crashes/ and print its outcome
 *   --minimise FILE    shrink a failing input of --target, keeping its failure, into FILE.min
 *   --timeout MS       one input's time limit (default 10000)
 *
 * Prints one line per target (inputs, inputs per second, parsed, refused typed, failures), saves every failure
 * under test/fuzz/crashes/<target>/ with the seed that made it, and exits 1 if there was any.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { relative } from "node:path";
import { parseArgs } from "node:util";
import { iterationSeed, Rng } from "./mutator.js";
import { DEFAULT_LIMITS, fuzzTarget, type Limits, minimise, Replayer, saveFailures, type TargetResult } from "./run.js";
import { loadSeeds, makeInput, ROOT, TARGETS, targetNamed } from "./targets.js";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "60" },
    target: { type: "string", multiple: true },
    seed: { type: "string" },
    list: { type: "boolean" },
    replay: { type: "string" },
    repro: { type: "string" },
    minimise: { type: "string" },
    timeout: { type: "string" },
  },
});

const limits: Limits = { ...DEFAULT_LIMITS, ...(values.timeout ? { timeoutMs: Number(values.timeout) } : {}) };
const names = values.target ?? TARGETS.map((t) => t.name);
for (const n of names) {
  if (targetNamed(n) === undefined) {
    process.stderr.write(`fuzz: no target ${n}; targets: ${TARGETS.map((t) => t.name).join(", ")}\n`);
    process.exit(2);
  }
}
const one = (): string => {
  if (names.length !== 1) {
    process.stderr.write("fuzz: give exactly one --target\n");
    process.exit(2);
  }
  return names[0] as string;
};

if (values.list) {
  for (const t of TARGETS) {
    const seeds = await loadSeeds(t);
    const bytes = seeds.reduce((n, s) => n + s.bytes.length, 0);
    const fields = seeds.reduce((n, s) => n + s.fields.length, 0);
    process.stdout.write(
      `${t.name.padEnd(12)} ${String(seeds.length).padStart(4)} seeds ${String(bytes).padStart(9)} bytes ${String(fields).padStart(6)} fields  ${t.describe}\n`,
    );
  }
} else if (values.replay !== undefined) {
  const r = new Replayer(one(), limits);
  const outcome = await r.run(new Uint8Array(readFileSync(values.replay)), values.replay);
  await r.close();
  process.stdout.write(`${JSON.stringify(outcome, null, 2)}\n`);
  process.exitCode = outcome.kind === "failure" ? 1 : 0;
} else if (values.repro !== undefined) {
  const name = one();
  const target = targetNamed(name);
  if (target === undefined || values.seed === undefined) throw new Error("--repro needs --target and --seed");
  const runSeed = Number(values.seed) >>> 0;
  const iteration = Number(values.repro);
  const { seed, bytes } = makeInput(target, await loadSeeds(target), new Rng(iterationSeed(runSeed, iteration)));
  const r = new Replayer(name, limits);
  const outcome = await r.run(bytes, `fuzz-${name}-${iteration}`);
  await r.close();
  process.stdout.write(`seed ${seed.name}, ${bytes.length} bytes: ${JSON.stringify(outcome, null, 2)}\n`);
  if (outcome.kind === "failure") {
    const [path] = saveFailures([
      {
        target: name,
        iteration,
        runSeed,
        iterationSeed: iterationSeed(runSeed, iteration),
        seed: seed.name,
        error: outcome.error,
        bytes,
      },
    ]);
    process.stdout.write(`saved ${path}\n`);
    process.exitCode = 1;
  }
} else if (values.minimise !== undefined) {
  const input = new Uint8Array(readFileSync(values.minimise));
  const min = await minimise(one(), input, limits);
  writeFileSync(`${values.minimise}.min`, min);
  process.stdout.write(`${input.length} -> ${min.length} bytes: ${values.minimise}.min\n`);
} else {
  const runSeed = values.seed !== undefined ? Number(values.seed) >>> 0 : Date.now() >>> 0;
  const seconds = Number(values.seconds);
  const each = seconds / names.length;
  process.stdout.write(`fuzz: seed ${runSeed}, ${names.length} targets, ${each.toFixed(1)} s each\n`);
  const results: TargetResult[] = [];
  for (const name of names) {
    const r = await fuzzTarget(name, each, runSeed, limits, (line) => process.stderr.write(`${line}\n`));
    results.push(r);
    const saved = saveFailures(r.failures);
    const rate = r.inputs / r.seconds;
    process.stdout.write(
      `${name.padEnd(12)} ${String(r.seeds).padStart(4)} seeds ${String(r.inputs).padStart(8)} inputs ${rate.toFixed(1).padStart(8)}/s  parsed ${String(r.parsed).padStart(7)}  typed ${String(r.typed).padStart(7)}  failures ${r.failures.length}\n`,
    );
    for (const p of saved) process.stdout.write(`  saved ${relative(ROOT, p)}\n`);
    if (r.seeds === 0) process.stdout.write(`  no seeds: run npm run fixtures\n`);
  }
  const failures = results.reduce((n, r) => n + r.failures.length, 0);
  const inputs = results.reduce((n, r) => n + r.inputs, 0);
  process.stdout.write(`fuzz: ${inputs} inputs, ${failures} failures (seed ${runSeed})\n`);
  process.exitCode = failures > 0 || results.some((r) => r.seeds === 0) ? 1 : 0;
}
