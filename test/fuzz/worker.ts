/**
 * The worker thread that runs inputs for run.ts. In `fuzz` mode it makes its own inputs (iteration i of run
 * seed S, from the seeds) and publishes the iteration it is on in shared memory, so that the main thread can
 * tell a hang from progress and name the input that hung; in `replay` mode it runs the inputs it is sent.
 *
 * Any single allocation larger than the input's bound (1024 times its size, at least 64 MiB, at most `maxAlloc`)
 * is a failure even when the reader catches what the guard throws: a size read from the input must not decide
 * an allocation, and the backing stores of typed arrays live outside the V8 heap that resourceLimits bounds.
 */
import { parentPort, workerData } from "node:worker_threads";
import { iterationSeed, Rng } from "./mutator.js";
import { loadSeeds, makeInput, type Outcome, runOne, targetNamed } from "./targets.js";

export interface FuzzWorkerData {
  readonly mode: "fuzz" | "replay";
  readonly target: string;
  readonly runSeed: number;
  readonly start: number;
  readonly maxAlloc: number;
  /** [0] iteration now running (-1 between), [1] parsed, [2] typed, [3] inputs done, [4] set to stop. */
  readonly state: SharedArrayBuffer;
}

export type WorkerMessage =
  | { readonly type: "ready"; readonly seeds: number }
  | {
      readonly type: "failure";
      readonly iteration: number;
      readonly seed: string;
      readonly bytes: Uint8Array;
      readonly error: string;
    }
  | { readonly type: "outcome"; readonly id: number; readonly outcome: Outcome };

const data = workerData as FuzzWorkerData;
const state = new Int32Array(data.state);
let tripped: string | undefined;
/** The bound for the input now running: 1024 bytes per input byte, at least 64 MiB, at most `maxAlloc`. */
let bound = data.maxAlloc;

function guard(n: unknown, what: string): void {
  if (typeof n === "number" && n > bound) {
    tripped ??= `an allocation of ${n} bytes (${what}), over the bound of ${bound}: ${new Error().stack}`;
    throw new RangeError(`fuzz allocation guard: ${n} bytes`);
  }
}

function installGuard(): void {
  const g = globalThis as unknown as Record<string, unknown>;
  for (const name of [
    "ArrayBuffer",
    "SharedArrayBuffer",
    "Uint8Array",
    "Int8Array",
    "Uint16Array",
    "Int16Array",
    "Uint32Array",
    "Int32Array",
    "Float64Array",
    "BigUint64Array",
    "BigInt64Array",
    "Uint8ClampedArray",
    "Float32Array",
  ]) {
    const ctor = g[name] as (new (...args: unknown[]) => object) | undefined;
    if (ctor === undefined) continue;
    const per = (ctor as unknown as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1;
    g[name] = new Proxy(ctor, {
      construct(target, args, newTarget) {
        if (typeof args[0] === "number") guard(args[0] * per, `new ${name}`);
        return Reflect.construct(target, args, newTarget);
      },
    });
  }
  for (const m of ["alloc", "allocUnsafe", "allocUnsafeSlow"] as const) {
    const orig = Buffer[m] as (...args: unknown[]) => Buffer;
    (Buffer as unknown as Record<string, unknown>)[m] = (...args: unknown[]) => {
      guard(args[0], `Buffer.${m}`);
      return orig.apply(Buffer, args);
    };
  }
}

async function outcomeOf(bytes: Uint8Array, name: string): Promise<Outcome> {
  tripped = undefined;
  bound = Math.min(data.maxAlloc, Math.max(64 << 20, bytes.length * 1024));
  const target = targetNamed(data.target);
  if (target === undefined) throw new Error(`no target ${data.target}`);
  const outcome = await runOne(target, bytes, name);
  if (tripped !== undefined) return { kind: "failure", error: `memory: ${tripped}` };
  return outcome;
}

async function fuzz(): Promise<void> {
  const target = targetNamed(data.target);
  if (target === undefined) throw new Error(`no target ${data.target}`);
  const seeds = await loadSeeds(target);
  parentPort?.postMessage({ type: "ready", seeds: seeds.length } satisfies WorkerMessage);
  if (seeds.length === 0) return;
  // Stopped between inputs, not terminated: terminating a thread inside a native decoder (liblzma) aborts the
  // process.
  for (let i = data.start; Atomics.load(state, 4) === 0; i++) {
    Atomics.store(state, 0, i);
    const rng = new Rng(iterationSeed(data.runSeed, i));
    const { seed, bytes } = makeInput(target, seeds, rng);
    const outcome = await outcomeOf(bytes, `fuzz-${data.target}-${i}`);
    Atomics.store(state, 0, -1);
    if (outcome.kind === "parsed") Atomics.add(state, 1, 1);
    else if (outcome.kind === "typed") Atomics.add(state, 2, 1);
    else
      parentPort?.postMessage({
        type: "failure",
        iteration: i,
        seed: seed.name,
        bytes,
        error: outcome.error,
      } satisfies WorkerMessage);
    Atomics.add(state, 3, 1);
  }
}

installGuard();
// Libraries' warnings (the yaml package's about collection keys) would flood the output, once per input.
process.emitWarning = () => {};
if (data.mode === "fuzz") {
  await fuzz();
} else {
  parentPort?.postMessage({ type: "ready", seeds: 0 } satisfies WorkerMessage);
  parentPort?.on("message", async (m: { id: number; bytes: Uint8Array; name: string }) => {
    Atomics.store(state, 0, m.id);
    const outcome = await outcomeOf(m.bytes, m.name);
    Atomics.store(state, 0, -1);
    parentPort?.postMessage({ type: "outcome", id: m.id, outcome } satisfies WorkerMessage);
  });
}
