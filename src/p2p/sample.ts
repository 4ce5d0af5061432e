/**
 * The text output of NVIDIA's cuda-samples `p2pBandwidthLatencyTest`, the form P2P write-ups publish: a
 * connectivity matrix, then bandwidth and latency matrices with P2P off and on (`--p2p_read` adds the reads
 * variants). Each matrix is a header line naming the GPUs `0 … n-1` and one row per GPU, row = source.
 * Lines outside the matrices (banner, device list, prompts, notes) are skipped; a matrix that breaks off or
 * disagrees with the others about the GPU count is a FormatError at its line.
 */
import { FormatError } from "../io/errors.js";
import type { Gpu, Matrix, MatrixKind, P2PNode } from "./model.js";

export const SAMPLE_NAME = "p2pBandwidthLatencyTest";

/** Section headings as the sample prints them, and the matrices each one holds in order. */
const SECTIONS: readonly { readonly heading: string; readonly kinds: readonly MatrixKind[] }[] = [
  { heading: "P2P Connectivity Matrix", kinds: ["connectivity"] },
  { heading: "Unidirectional P2P=Disabled Bandwidth Matrix (GB/s)", kinds: ["uniOff"] },
  { heading: "Unidirectional P2P=Enabled Bandwidth (P2P Writes) Matrix (GB/s)", kinds: ["uniOn"] },
  { heading: "Unidirectional P2P=Enabled Bandwidth (P2P Reads) Matrix (GB/s)", kinds: ["uniOnReads"] },
  { heading: "Bidirectional P2P=Disabled Bandwidth Matrix (GB/s)", kinds: ["biOff"] },
  { heading: "Bidirectional P2P=Enabled Bandwidth Matrix (GB/s)", kinds: ["biOn"] },
  { heading: "P2P=Disabled Latency Matrix (us)", kinds: ["latOff", "cpuLatOff"] },
  { heading: "P2P=Enabled Latency (P2P Writes) Matrix (us)", kinds: ["latOn", "cpuLatOn"] },
  { heading: "P2P=Enabled Latency (P2P Reads) Matrix (us)", kinds: ["latOnReads", "cpuLatOnReads"] },
];

/** Each matrix's column header starts with this label: `D\D` for connectivity and bandwidth. */
const LABEL: Partial<Record<MatrixKind, string>> = {
  latOff: "GPU",
  latOn: "GPU",
  latOnReads: "GPU",
  cpuLatOff: "CPU",
  cpuLatOn: "CPU",
  cpuLatOnReads: "CPU",
};

// `Device: 0, NVIDIA GeForce RTX 4090, pciBusID: 1, pciDeviceID: 0, pciDomainID:0`
const DEVICE = /^Device: (\d+), (.*), pciBusID: ([0-9a-f]+), pciDeviceID: ([0-9a-f]+), pciDomainID:\s*([0-9a-f]+)$/i;
// `%6.02f` prints inf or nan when a timing was zero or failed.
const VALUE = /^(-?\d+(?:\.\d+)?|-?inf|-?nan)$/i;

interface Line {
  readonly text: string;
  readonly offset: number;
}

function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  let offset = 0;
  for (const raw of text.split("\n")) {
    lines.push({ text: raw.replace(/\r$/, ""), offset });
    offset += Buffer.byteLength(raw, "utf8") + 1;
  }
  return lines;
}

/** Whether the text is p2pBandwidthLatencyTest output at all: it holds one of the section headings. */
export const looksLikeSample = (text: string): boolean => SECTIONS.some((s) => text.includes(s.heading));

export function parseSampleOutput(text: string, file: string): P2PNode {
  const lines = splitLines(text);
  const matrices: Partial<Record<MatrixKind, Matrix>> = {};
  const gpus = new Map<number, Gpu>();
  let n: number | undefined;
  let at = 0;

  const fail = (line: Line | undefined, structure: string, expected: string): never => {
    throw new FormatError(
      file,
      line?.offset ?? Buffer.byteLength(text),
      structure,
      expected,
      line === undefined ? "end of file" : JSON.stringify(line.text.trim()),
    );
  };

  /** Reads one matrix starting at lines[at]: its column header, then one row per GPU. */
  const readMatrix = (kind: MatrixKind, heading: string): Matrix => {
    const label = LABEL[kind] ?? "D\\D";
    const structure = `${heading}: ${label === "D\\D" ? "matrix" : `${label} matrix`}`;
    const header = lines[at];
    const cols = header?.text.trim().split(/\s+/) ?? [];
    if (header === undefined || cols[0] !== label || cols.length < 2)
      fail(header, structure, `a column header '${label} 0 1 …'`);
    const size = cols.length - 1;
    cols.slice(1).forEach((c, j) => {
      if (c !== String(j)) fail(header, structure, `GPU ${j} in column ${j + 1} of the header`);
    });
    if (n !== undefined && size !== n) fail(header, structure, `${n} GPUs, as in the matrices before`);
    n = size;
    at++;
    const rows: (number | null)[][] = [];
    for (let i = 0; i < size; i++, at++) {
      const line = lines[at];
      const cells = line?.text.trim().split(/\s+/) ?? [];
      if (line === undefined || cells[0] !== String(i) || cells.length !== size + 1)
        fail(line, structure, `row ${i}: the GPU index and ${size} values`);
      rows.push(
        cells.slice(1).map((c) => {
          if (!VALUE.test(c)) fail(line, structure, `a number in row ${i}`);
          const v = Number(c);
          if (kind === "connectivity" && v !== 0 && v !== 1) fail(line, structure, `0 or 1 in row ${i}`);
          return Number.isFinite(v) ? v : null;
        }),
      );
    }
    return rows;
  };

  while (at < lines.length) {
    const line = lines[at] as Line;
    const trimmed = line.text.trim();
    const device = DEVICE.exec(trimmed);
    if (device !== null) {
      const [, index, name, bus, dev, domain] = device as unknown as string[];
      const hex = (s: string | undefined, width: number) =>
        Number.parseInt(s ?? "0", 16)
          .toString(16)
          .padStart(width, "0");
      gpus.set(Number(index), {
        index: Number(index),
        name: name as string,
        pciBusId: `${hex(domain, 4)}:${hex(bus, 2)}:${hex(dev, 2)}.0`,
      });
      at++;
      continue;
    }
    const section = SECTIONS.find((s) => s.heading === trimmed);
    at++;
    if (section === undefined) continue;
    section.kinds.forEach((kind, k) => {
      // The CPU latency matrix follows the GPU one after one blank line.
      if (k > 0) {
        if (lines[at]?.text.trim() !== "") fail(lines[at], section.heading, "a blank line before the CPU matrix");
        at++;
      }
      if (matrices[kind] !== undefined) fail(line, section.heading, "each section once");
      matrices[kind] = readMatrix(kind, section.heading);
    });
  }

  if (n === undefined) return fail(undefined, SAMPLE_NAME, "at least one of its matrices");
  const count = n;
  return {
    artifact: file,
    name: SAMPLE_NAME,
    source: "p2pBandwidthLatencyTest",
    gpus: Array.from({ length: count }, (_, i) => gpus.get(i) ?? { index: i }),
    matrices,
    pairs: [],
  };
}
