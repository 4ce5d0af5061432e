/**
 * One pool of worker threads for a run's CPU work, one thread per available core. Tasks wait in one queue and
 * each idle thread takes the next, so a long task (a kernel payload) holds one thread and the rest go on;
 * every caller awaits its own result, so what the results make does not depend on the number of threads.
 *
 * The worker is a module that calls `serveTasks`. From the build it is a .js file; from the sources (vitest
 * runs TypeScript directly, a worker thread does not) it is the .ts file, loaded through ts-hooks.mjs.
 */
import { availableParallelism } from "node:os";
import { parentPort, type Transferable, Worker } from "node:worker_threads";
import { FormatError, LimitError } from "./errors.js";

export type Fault =
  | { readonly kind: "format"; readonly args: ConstructorParameters<typeof FormatError> }
  | { readonly kind: "limit"; readonly args: ConstructorParameters<typeof LimitError> }
  | { readonly kind: "other"; readonly message: string };

type Reply =
  | "ready"
  | { readonly id: number; readonly result: unknown; readonly fault?: undefined }
  | { readonly id: number; readonly fault: Fault };

/** The errors readers throw cross the thread as themselves: a bad file found on a worker is reported as one. */
export function fault(err: unknown): Fault {
  if (err instanceof FormatError)
    return { kind: "format", args: [err.file, err.offset, err.structure, err.expected, err.found] };
  if (err instanceof LimitError)
    return { kind: "limit", args: [err.file, err.offset, err.what, err.limit, err.requested] };
  return { kind: "other", message: err instanceof Error ? (err.stack ?? err.message) : String(err) };
}

export function rethrown(f: Fault): Error {
  if (f.kind === "format") return new FormatError(...f.args);
  if (f.kind === "limit") return new LimitError(...f.args);
  return new Error(`worker task failed: ${f.message}`);
}

/**
 * `b` in a buffer of its own: sent as a view, the whole buffer under it would be copied or moved. A copy by
 * the constructor: a Node Buffer's slice() is a view.
 */
export const ownBuffer = (b: Uint8Array): Uint8Array =>
  !Buffer.isBuffer(b) && b.buffer instanceof ArrayBuffer && b.byteOffset === 0 && b.byteLength === b.buffer.byteLength
    ? b
    : new Uint8Array(b);

/**
 * The buffers under `views` (made by ownBuffer, or fresh), to move rather than copy. Empty ones are copied:
 * a moved empty buffer fails to arrive ("Unable to deserialize cloned data") and its message is lost.
 */
export const buffersOf = (views: readonly (Uint8Array | undefined)[]): Transferable[] => [
  // Views may share a buffer; each is listed once.
  ...new Set(views.flatMap((v) => (v === undefined || v.byteLength === 0 ? [] : [v.buffer as ArrayBuffer]))),
];

/** A result and the buffers to move to the other thread instead of copying them. */
export interface Moved<T> {
  readonly value: T;
  readonly transfer: readonly Transferable[];
}

/** The worker's side: answers each task with `handle`'s result, or the error it threw. */
export function serveTasks<Task, Result>(handle: (task: Task) => Promise<Moved<Result>>): void {
  const port = parentPort;
  if (port === null) throw new Error("serveTasks runs on a worker thread");
  port.postMessage("ready");
  // One task at a time, in the order sent: a thread holds several, and interleaved at their awaits they would
  // share what a handler keeps between tasks.
  let last: Promise<void> = Promise.resolve();
  port.on("message", ({ id, task }: { id: number; task: Task }) => {
    last = last.then(() =>
      handle(task).then(
        ({ value, transfer }) => port.postMessage({ id, result: value } satisfies Reply, [...transfer]),
        (err: unknown) => port.postMessage({ id, fault: fault(err) } satisfies Reply),
      ),
    );
  });
}

interface Queued {
  readonly id: number;
  /** Resolves when the task is answered, either way. */
  readonly settled: Promise<void>;
  readonly task: unknown;
  readonly transfer: readonly Transferable[];
  resolve(v: unknown): void;
  reject(e: Error): void;
}

const HOOKS = new URL("./ts-hooks.mjs", import.meta.url).href;

/**
 * Tasks make short-lived objects by the thousand (one module's parse after another): a small young generation
 * is collected often and cheaply, where V8's default lets each thread's heap grow by tens of MiB first.
 */
const LIMITS = { maxYoungGenerationSizeMb: 4 };

function start(entry: URL): Worker {
  if (!entry.pathname.endsWith(".ts")) return new Worker(entry, { resourceLimits: LIMITS });
  const code = `import("node:module").then((m) => m.register(${JSON.stringify(HOOKS)})).then(() => import(${JSON.stringify(entry.href)}))`;
  return new Worker(code, { eval: true, resourceLimits: LIMITS });
}

/**
 * Tasks a thread holds at once: while it works on one, the next waits in its own port, so it never idles for
 * the main thread's answer between two tasks.
 */
const DEPTH = 3;

export class WorkerPool<Task, Result> {
  /** Each thread's tasks not yet answered. */
  private readonly held = new Map<Worker, Queued[]>();
  private readonly queue: Queued[] = [];
  private readonly ready: Promise<void>[] = [];
  private next = 0;

  constructor(entry: URL, threads = availableParallelism()) {
    for (let i = 0; i < threads; i++) {
      const w = start(entry);
      // A thread stopped while it loads a native addon aborts the process: close waits until each is up.
      this.ready.push(
        new Promise((resolve) => {
          const up = (r: Reply) => r === "ready" && resolve();
          w.on("message", up);
          w.once("exit", () => resolve());
        }),
      );
      const held: Queued[] = [];
      this.held.set(w, held);
      w.on("message", (r: Reply) => {
        if (r === "ready") return;
        const at = held.findIndex((j) => j.id === r.id);
        const job = at < 0 ? undefined : held.splice(at, 1)[0];
        if (job !== undefined) {
          if (r.fault === undefined) job.resolve(r.result);
          else job.reject(rethrown(r.fault));
        }
        this.dispatch();
      });
      // A thread that dies fails its tasks; the others go on.
      const fail = (err: Error) => {
        for (const job of held.splice(0)) job.reject(err);
        this.held.delete(w);
      };
      w.on("error", fail);
      w.on("exit", (code) => fail(new Error(`worker thread exited (code ${code})`)));
    }
  }

  /** `task` run on the next free thread; `transfer` lists the buffers it moves there (no longer usable here). */
  run(task: Task, transfer: readonly Transferable[] = []): Promise<Result> {
    const id = this.next++;
    let answer: Pick<Queued, "resolve" | "reject"> | undefined;
    const result = new Promise<Result>((resolve, reject) => {
      answer = { resolve: resolve as (v: unknown) => void, reject };
    });
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    this.queue.push({ id, task, transfer, settled, ...(answer as Pick<Queued, "resolve" | "reject">) });
    this.dispatch();
    return result;
  }

  /** Each queued task to the thread holding the fewest, while one holds fewer than DEPTH. */
  private dispatch(): void {
    while (this.queue.length > 0) {
      let pick: [Worker, Queued[]] | undefined;
      for (const entry of this.held) if (pick === undefined || entry[1].length < pick[1].length) pick = entry;
      if (pick === undefined || pick[1].length >= DEPTH) return;
      const job = this.queue.shift() as Queued;
      pick[1].push(job);
      pick[0].postMessage({ id: job.id, task: job.task }, [...job.transfer]);
    }
  }

  /**
   * Stops the threads once the tasks they hold are done (tasks not yet sent are dropped): a thread stopped
   * inside a native decoder aborts the whole process.
   */
  async close(): Promise<void> {
    for (const job of this.queue.splice(0)) job.reject(new Error("worker pool closed"));
    await Promise.all(this.ready);
    await Promise.all([...this.held.values()].flat().map((job) => job.settled));
    await Promise.all([...this.held.keys()].map((w) => w.terminate()));
  }
}
