/**
 * Runs a target's inputs in a worker thread under a time limit per input and resource limits, and turns what
 * went wrong into saved failures: an untyped exception (reported by the worker), an input over its time
 * limit (the worker is terminated and started again after it), or memory over the bound (the worker dies of
 * its heap limit, or the process's RSS passes the bound).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { iterationSeed, Rng } from "./mutator.js";
import { loadSeeds, makeInput, type Outcome, ROOT, type Seed, sha1, targetNamed } from "./targets.js";
import type { FuzzWorkerData, WorkerMessage } from "./worker.js";

export interface Limits {
  /** One input's time limit. */
  readonly timeoutMs: number;
  /** The worker's V8 heap limit. */
  readonly heapMiB: number;
  /** The largest single allocation an input may cause. */
  readonly maxAlloc: number;
  /** The process's RSS bound. */
  readonly rssBytes: number;
}

export const DEFAULT_LIMITS: Limits = {
  timeoutMs: 10_000,
  heapMiB: 1024,
  // Above the largest bound a reader sets itself (a decompressed kernel: 512 MiB); the bound of an input is
  // 1024 times its size, between 64 MiB and this.
  maxAlloc: (512 << 20) + (1 << 20),
  rssBytes: 3 * 2 ** 30,
};

export interface Failure {
  readonly target: string;
  readonly iteration: number;
  readonly runSeed: number;
  readonly iterationSeed: number;
  readonly seed: string;
  readonly error: string;
  readonly bytes: Uint8Array;
}

export interface TargetResult {
  readonly target: string;
  readonly seeds: number;
  readonly inputs: number;
  readonly parsed: number;
  readonly typed: number;
  readonly failures: readonly Failure[];
  readonly seconds: number;
}

const workerFile = new URL("./worker.js", import.meta.url);

/** A failure's kind, stable across inputs: the error's first line with its numbers and quoted parts dropped. */
export function signature(error: string): string {
  const first = error.split("\n")[0] ?? "";
  // Where it was thrown: the first stack frame inside the project.
  const frame = /\n\s+at .*?(src\/[^\s:)]+:\d+)/.exec(error)?.[1] ?? "";
  return `${first.replace(/"[^"]*"|'[^']*'|\d+/g, "N").slice(0, 160)} ${frame}`.trim();
}

/** Runs `target` for `seconds`, from iteration 0 of `runSeed`. */
export async function fuzzTarget(
  name: string,
  seconds: number,
  runSeed: number,
  limits: Limits = DEFAULT_LIMITS,
  log: (line: string) => void = () => {},
): Promise<TargetResult> {
  const target = targetNamed(name);
  if (target === undefined) throw new Error(`no fuzz target ${name}`);
  let seeds: Seed[] | undefined;
  const failures: Failure[] = [];
  const logged = new Set<string>();
  const state = new Int32Array(new SharedArrayBuffer(20));
  const t0 = Date.now();
  const deadline = t0 + seconds * 1000;
  let start = 0;
  let extra = 0;
  let seedCount = 0;
  const failed = (iteration: number, seed: string, bytes: Uint8Array, error: string) => {
    failures.push({
      target: name,
      iteration,
      runSeed,
      iterationSeed: iterationSeed(runSeed, iteration),
      seed,
      error,
      bytes,
    });
    const sig = signature(error);
    // The first of each kind is logged; the rest are counted.
    if (!logged.has(sig)) log(`${name}: failure at iteration ${iteration} (seed ${seed}): ${error.split("\n")[0]}`);
    logged.add(sig);
  };
  /** An input the worker did not live to report: made again here from its iteration's seed. */
  const remake = async (iteration: number, error: string) => {
    seeds ??= await loadSeeds(target);
    const { seed, bytes } = makeInput(target, seeds, new Rng(iterationSeed(runSeed, iteration)));
    failed(iteration, seed.name, bytes, error);
  };
  while (Date.now() < deadline) {
    const data: FuzzWorkerData = {
      mode: "fuzz",
      target: name,
      runSeed,
      start,
      maxAlloc: limits.maxAlloc,
      state: state.buffer as SharedArrayBuffer,
    };
    Atomics.store(state, 0, -1);
    Atomics.store(state, 4, 0);
    const doneBefore = Atomics.load(state, 3);
    const worker = new Worker(workerFile, {
      workerData: data,
      resourceLimits: { maxOldGenerationSizeMb: limits.heapMiB, maxYoungGenerationSizeMb: 64 },
    });
    const ended = await new Promise<{
      why: "deadline" | "timeout" | "memory" | "error" | "exit";
      at: number;
      error?: string;
    }>((resolve) => {
      let last = -1;
      let since = Date.now();
      let ready = false;
      let stopping: number | undefined;
      const timer = setInterval(() => {
        const now = Date.now();
        const cur = Atomics.load(state, 0);
        if (cur !== last || cur === -1) {
          last = cur;
          since = now;
        }
        if (now >= deadline) {
          // Asked to stop after the input it is on; terminated only if that input outlives its time limit.
          Atomics.store(state, 4, 1);
          stopping ??= now;
          if (now - stopping > limits.timeoutMs) finish({ why: "deadline", at: cur });
        } else if (ready && cur !== -1 && now - since > limits.timeoutMs)
          finish({ why: "timeout", at: cur, error: `timeout: over ${limits.timeoutMs} ms` });
        else if (process.memoryUsage.rss() > limits.rssBytes)
          finish({ why: "memory", at: cur, error: `memory: RSS over ${limits.rssBytes} bytes` });
      }, 25);
      let done = false;
      const finish = (r: { why: "deadline" | "timeout" | "memory" | "error" | "exit"; at: number; error?: string }) => {
        if (done) return;
        done = true;
        clearInterval(timer);
        void worker.terminate().then(() => resolve(r));
      };
      worker.on("message", (m: WorkerMessage) => {
        if (m.type === "ready") {
          ready = true;
          seedCount = m.seeds;
          if (m.seeds === 0) finish({ why: "exit", at: -1 });
        } else if (m.type === "failure") failed(m.iteration, m.seed, m.bytes, m.error);
      });
      worker.on("error", (err: Error & { code?: string }) => {
        const cur = Atomics.load(state, 0);
        const memory = err.code === "ERR_WORKER_OUT_OF_MEMORY";
        finish({
          why: memory ? "memory" : "error",
          at: cur,
          error: `${memory ? "memory" : "worker error"}: ${err.stack ?? err.message}`,
        });
      });
      worker.on("exit", () =>
        finish({ why: stopping !== undefined ? "deadline" : "exit", at: Atomics.load(state, 0) }),
      );
    });
    if (ended.why === "deadline" || (ended.why === "exit" && seedCount === 0)) break;
    // The input that was running when the worker was stopped is a failure; the next worker starts after it.
    const at = ended.at >= 0 ? ended.at : start + Atomics.load(state, 3) - doneBefore;
    if (ended.why !== "exit") await remake(at, ended.error ?? ended.why);
    else log(`${name}: the worker exited at iteration ${at}`);
    extra++;
    start = Math.max(at + 1, start + (Atomics.load(state, 3) - doneBefore) + 1);
  }
  const inputs = Atomics.load(state, 3) + extra;
  return {
    target: name,
    seeds: seedCount,
    inputs,
    parsed: Atomics.load(state, 1),
    typed: Atomics.load(state, 2),
    failures,
    seconds: (Date.now() - t0) / 1000,
  };
}

/** Saves failures under test/fuzz/crashes/<target>/, at most `perKind` of each signature; returns the paths. */
export function saveFailures(failures: readonly Failure[], perKind = 3): string[] {
  const counts = new Map<string, number>();
  const paths: string[] = [];
  for (const f of failures) {
    const sig = signature(f.error);
    const n = counts.get(sig) ?? 0;
    counts.set(sig, n + 1);
    if (n >= perKind) continue;
    const dir = join(ROOT, "test/fuzz/crashes", f.target);
    mkdirSync(dir, { recursive: true });
    const base = join(dir, `${f.iterationSeed.toString(16).padStart(8, "0")}-${sha1(f.bytes).slice(0, 12)}`);
    writeFileSync(`${base}.bin`, f.bytes);
    const { bytes: _, ...meta } = f;
    writeFileSync(`${base}.json`, `${JSON.stringify({ ...meta, signature: sig, size: f.bytes.length }, null, 2)}\n`);
    paths.push(`${base}.bin`);
  }
  return paths;
}

/**
 * A worker that runs the inputs it is sent, one at a time under the same limits; a hang or a death starts a
 * fresh one. For replaying saved inputs and minimising them.
 */
export class Replayer {
  private worker: Worker | undefined;
  private readonly state = new Int32Array(new SharedArrayBuffer(20));
  private next = 0;
  constructor(
    private readonly target: string,
    private readonly limits: Limits = DEFAULT_LIMITS,
  ) {}

  private async start(): Promise<Worker> {
    const data: FuzzWorkerData = {
      mode: "replay",
      target: this.target,
      runSeed: 0,
      start: 0,
      maxAlloc: this.limits.maxAlloc,
      state: this.state.buffer as SharedArrayBuffer,
    };
    const w = new Worker(workerFile, {
      workerData: data,
      resourceLimits: { maxOldGenerationSizeMb: this.limits.heapMiB, maxYoungGenerationSizeMb: 64 },
    });
    await new Promise<void>((resolve, reject) => {
      w.once("message", () => resolve());
      w.once("error", reject);
    });
    return w;
  }

  async run(bytes: Uint8Array, name = `replay-${this.target}`): Promise<Outcome> {
    this.worker ??= await this.start();
    const w = this.worker;
    const id = this.next++;
    const outcome = await new Promise<Outcome>((resolve) => {
      const timer = setTimeout(
        () => done({ kind: "failure", error: `timeout: over ${this.limits.timeoutMs} ms` }, true),
        this.limits.timeoutMs,
      );
      const onMessage = (m: WorkerMessage) => {
        if (m.type === "outcome" && m.id === id) done(m.outcome, false);
      };
      const onError = (err: Error & { code?: string }) =>
        done(
          {
            kind: "failure",
            error: `${err.code === "ERR_WORKER_OUT_OF_MEMORY" ? "memory" : "worker error"}: ${err.stack}`,
          },
          true,
        );
      const done = (o: Outcome, kill: boolean) => {
        clearTimeout(timer);
        w.off("message", onMessage);
        w.off("error", onError);
        if (kill) {
          this.worker = undefined;
          void w.terminate();
        }
        resolve(o);
      };
      w.on("message", onMessage);
      w.on("error", onError);
      w.postMessage({ id, bytes, name });
    });
    return outcome;
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
    this.worker = undefined;
  }
}

/**
 * The smallest input found that fails with the same signature: chunks removed (halves, quarters, … single
 * bytes), then the tail cut, each step kept only when the failure stays the same.
 */
export async function minimise(
  target: string,
  input: Uint8Array,
  limits: Limits = DEFAULT_LIMITS,
  budgetMs = 120_000,
): Promise<Uint8Array> {
  const r = new Replayer(target, limits);
  const t0 = Date.now();
  try {
    const first = await r.run(input);
    if (first.kind !== "failure") throw new Error(`the input does not fail: ${first.kind}`);
    const want = signature(first.error);
    const fails = async (b: Uint8Array) => {
      const o = await r.run(b);
      return o.kind === "failure" && signature(o.error) === want;
    };
    let best = input;
    for (let chunk = best.length >> 1; chunk >= 1 && Date.now() - t0 < budgetMs; chunk >>= 1) {
      for (let at = 0; at < best.length && Date.now() - t0 < budgetMs; ) {
        const cand = new Uint8Array(best.length - Math.min(chunk, best.length - at));
        cand.set(best.subarray(0, at));
        cand.set(best.subarray(at + chunk), at);
        if (cand.length > 0 && (await fails(cand))) best = cand;
        else at += chunk;
      }
    }
    return best;
  } finally {
    await r.close();
  }
}
