import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchRow } from "./harness.js";

/**
 * Runs every bench module (test/bench/<area>.ts exporting `bench(): Promise<BenchRow[]>`) in a child process
 * of its own, so each area's peak memory is its own, and prints one table.
 * Usage: node dist/test/bench/main.js [AREA...]
 */
const here = dirname(fileURLToPath(import.meta.url));
const skip = new Set(["main", "harness"]);

interface AreaResult {
  rows: BenchRow[];
  oursPeakMiB: number;
}

async function child(area: string): Promise<void> {
  const mod = (await import(join(here, `${area}.js`))) as { bench(): Promise<BenchRow[]> };
  const rows = await mod.bench();
  const result: AreaResult = { rows, oursPeakMiB: process.resourceUsage().maxRSS / 1024 };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function fmt(n: number, digits = 2): string {
  return n.toFixed(digits);
}

function parent(wanted: string[]): number {
  const areas = readdirSync(here)
    .filter((f) => f.endsWith(".js"))
    .map((f) => basename(f, ".js"))
    .filter((a) => !skip.has(a) && (wanted.length === 0 || wanted.includes(a)))
    .sort();
  const header = ["area", "case", "ours s", "tool s", "ours/tool", "ours peak MiB", "tool peak MiB", "tool command"];
  const table: string[][] = [];
  let failed = 0;
  for (const area of areas) {
    process.stderr.write(`bench: ${area}...\n`);
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--child", area], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
      maxBuffer: 64 << 20,
    });
    const last = r.stdout.trim().split("\n").pop() ?? "";
    if (r.status !== 0 || last === "") {
      process.stderr.write(`bench: ${area} failed (exit ${r.status})\n`);
      failed++;
      continue;
    }
    const res = JSON.parse(last) as AreaResult;
    for (const row of res.rows) {
      table.push([
        area,
        row.name,
        fmt(row.oursSeconds),
        fmt(row.toolSeconds),
        fmt(row.oursSeconds / row.toolSeconds),
        fmt(row.oursPeakMiB ?? res.oursPeakMiB, 0),
        row.toolPeakMiB === undefined ? "" : fmt(row.toolPeakMiB, 0),
        row.toolCommand + (row.note ? `  (${row.note})` : ""),
      ]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  process.stdout.write(`${[line(header), line(widths.map((w) => "-".repeat(w))), ...table.map(line)].join("\n")}\n`);
  return failed === 0 ? 0 : 1;
}

const args = process.argv.slice(2);
if (args[0] === "--child" && args[1] !== undefined) await child(args[1]);
else process.exitCode = parent(args);
