/** The matrices as terminal tables, one block per node: row = source GPU, column = destination GPU. */
import { MATRICES, MATRIX_KINDS, type Matrix, type P2PNode } from "./model.js";

const GIB = 2 ** 30;

function size(bytes: number): string {
  return bytes >= GIB ? `${(bytes / GIB).toFixed(bytes % GIB === 0 ? 0 : 1)} GiB` : `${bytes / 2 ** 20} MiB`;
}

function table(m: Matrix, digits: number): string[] {
  const cells = m.map((row) => row.map((v) => (v === null ? "-" : v.toFixed(digits))));
  const width = Math.max(3, ...cells.flat().map((c) => c.length));
  const pad = (s: string) => s.padStart(width);
  return [
    `  ${"src\\dst".padEnd(8)}${m.map((_, j) => pad(String(j))).join(" ")}`,
    ...cells.map((row, i) => `  ${String(i).padEnd(8)}${row.map(pad).join(" ")}`),
  ];
}

export function renderTables(nodes: readonly P2PNode[]): string {
  const out: string[] = [];
  for (const node of nodes) {
    out.push(`${node.name} (${node.source}, ${node.artifact}): ${node.gpus.length} GPUs`);
    if (node.driver !== undefined) {
      const d = node.driver;
      out.push(`  driver: CUDA ${d.cudaVersion ?? "?"}; ${d.kernelModule ?? "kernel module version unknown"}`);
      out.push(`  RegistryDwords: ${d.registryDwords === null ? "unreadable" : JSON.stringify(d.registryDwords)}`);
    }
    for (const g of node.gpus) {
      if (g.name === undefined) continue;
      const bar1 =
        g.bar1Bytes === undefined ? "" : g.bar1Bytes === null ? ", BAR1 unknown" : `, BAR1 ${size(g.bar1Bytes)}`;
      const mem = g.totalMemBytes === undefined ? "" : `, ${size(g.totalMemBytes)}`;
      out.push(`  GPU ${g.index}: ${g.name}${g.pciBusId ? ` (${g.pciBusId})` : ""}${mem}${bar1}`);
    }
    if (node.error !== undefined) out.push(`  could not measure: ${node.error}`);
    for (const kind of MATRIX_KINDS) {
      const m = node.matrices[kind];
      if (m === undefined) continue;
      const info = MATRICES[kind];
      out.push(
        "",
        `  ${info.title}${info.unit ? ` (${info.unit})` : ""}`,
        ...table(m, kind === "connectivity" ? 0 : 2),
      );
    }
    out.push("");
  }
  return `${out.join("\n")}\n`;
}
