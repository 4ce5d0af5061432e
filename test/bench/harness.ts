import { spawnSync } from "node:child_process";

/** One comparison: our code and the real command-line tool doing the same work on the same input. */
export interface BenchRow {
  name: string;
  oursSeconds: number;
  toolSeconds: number;
  /** The shell pipeline the tool figure comes from, so anyone can rerun it. */
  toolCommand: string;
  /** Peak resident memory of our code where it ran in a process of its own, MiB (else the area's process). */
  oursPeakMiB?: number;
  /** Peak resident memory of the tool pipeline's largest process, MiB. */
  toolPeakMiB?: number;
  note?: string;
}

/** Wall time of an async function, best of `runs`. */
export async function timeOurs(fn: () => Promise<unknown>, runs = 2): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return best;
}

/** Wall time (best of `runs`) and peak RSS of a shell pipeline; a failing pipeline fails the bench. */
export function timeTool(command: string, runs = 2): { seconds: number; peakMiB: number } {
  let best = Number.POSITIVE_INFINITY;
  let peakKiB = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    // GNU time reports the largest max-RSS of the pipeline's processes when it wraps a bash -c.
    const r = spawnSync("/usr/bin/time", ["-f", "%M", "bash", "-o", "pipefail", "-c", command], {
      stdio: ["ignore", "ignore", "pipe"],
      encoding: "utf8",
      maxBuffer: 64 << 20,
    });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.status !== 0) throw new Error(`bench tool command failed (${r.status}): ${command}\n${r.stderr}`);
    const lines = r.stderr.trim().split("\n");
    peakKiB = Math.max(peakKiB, Number(lines[lines.length - 1]));
    best = Math.min(best, seconds);
  }
  return { seconds: best, peakMiB: peakKiB / 1024 };
}
