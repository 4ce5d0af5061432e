/**
 * The heat map as a list of rectangles and text in pixel coordinates, drawn alike by the SVG writer and the
 * PNG rasterizer. One block per node; one row of panels per measure, P2P off beside P2P on on one colour scale
 * so that the gain reads at a glance; good values (high bandwidth, low latency) are bright.
 */
import { basename } from "node:path";
import { MATRICES, type Matrix, type MatrixKind, type P2PNode } from "../model.js";
import { GLYPH_HEIGHT, textWidth } from "./font.js";

export type Rgb = readonly [number, number, number];

export interface Cell {
  readonly matrix: MatrixKind;
  readonly src: number;
  readonly dst: number;
  readonly value: number | null;
}

export interface RectItem {
  readonly kind: "rect";
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
  readonly fill: Rgb;
  /** Set on the heat-map cells: one per (matrix, source, destination). */
  readonly cell?: Cell;
  /** A hover text for the SVG. */
  readonly label?: string;
}

export interface TextItem {
  readonly kind: "text";
  /** Left edge, or centre with anchor "middle". */
  readonly x: number;
  /** Top of the capital letters. */
  readonly y: number;
  readonly text: string;
  /** Pixels per font pixel: a capital is 5 × scale tall. */
  readonly scale: number;
  readonly color: Rgb;
  readonly anchor: "start" | "middle";
}

export type Item = RectItem | TextItem;

export interface Scene {
  readonly width: number;
  readonly height: number;
  readonly items: readonly Item[];
}

/** Rows of the heat map: the matrices on one row share one scale. */
const GROUPS: readonly (readonly MatrixKind[])[] = [
  ["connectivity"],
  ["uniOff", "uniOn", "uniOnReads"],
  ["biOff", "biOn"],
  ["latOff", "latOn", "latOnReads"],
  ["cpuLatOff", "cpuLatOn", "cpuLatOnReads"],
];

// viridis at five stops: dark (worst) to bright (best).
const STOPS: readonly Rgb[] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];
const WHITE: Rgb = [255, 255, 255];
const INK: Rgb = [20, 20, 20];
const MUTED: Rgb = [110, 110, 110];
const SELF: Rgb = [215, 215, 215];
const MISSING: Rgb = [245, 245, 245];
const YES: Rgb = [26, 152, 80];
const NO: Rgb = [215, 48, 39];

export function scaleColor(t: number): Rgb {
  const x = Math.min(1, Math.max(0, t)) * (STOPS.length - 1);
  const k = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - k;
  const a = STOPS[k] as Rgb;
  const b = STOPS[k + 1] as Rgb;
  return [0, 1, 2].map((c) => Math.round((a[c] as number) + ((b[c] as number) - (a[c] as number)) * f)) as never;
}

/** Dark text on light cells, white on dark (relative luminance, sRGB weights). */
const textOn = (c: Rgb): Rgb => (0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2] > 140 ? INK : WHITE);

/** Three significant digits fit a cell: 383, 25.6, 1.24. */
export const cellText = (v: number): string => (v >= 1000 ? v.toFixed(0) : v.toPrecision(3));

const TITLE = 2; // text scale
const CHAR_H = GLYPH_HEIGHT * TITLE;
const MARGIN = 16;
const GAP = 28;

export function buildScene(nodes: readonly P2PNode[]): Scene {
  const items: Item[] = [];
  let y = MARGIN;
  let width = 0;
  const text = (x: number, ty: number, s: string, color: Rgb = INK, anchor: "start" | "middle" = "start") =>
    items.push({ kind: "text", x, y: ty, text: s, scale: TITLE, color, anchor });

  for (const node of nodes) {
    const n = node.gpus.length;
    const cellW = n <= 8 ? 40 : Math.max(12, Math.floor(320 / n));
    const cellH = n <= 8 ? 24 : cellW;
    const showValues = cellW >= 40;
    const labelW = textWidth(String(Math.max(0, n - 1)), TITLE) + 10;

    const heading = `${basename(node.artifact)}: ${node.name} (${node.source}), ${n} GPU${n === 1 ? "" : "s"}`;
    text(MARGIN, y, heading);
    width = Math.max(width, MARGIN + textWidth(heading, TITLE));
    y += CHAR_H + 8;
    for (const g of node.gpus) {
      if (g.name === undefined) continue;
      const line = `GPU ${g.index}: ${g.name}${g.pciBusId ? ` ${g.pciBusId}` : ""}`;
      text(MARGIN, y, line, MUTED);
      width = Math.max(width, MARGIN + textWidth(line, TITLE));
      y += CHAR_H + 4;
    }
    if (node.error !== undefined) {
      text(MARGIN, y, `could not measure: ${node.error}`, NO);
      y += CHAR_H + 4;
    }
    y += 12;

    for (const group of GROUPS) {
      const kinds = group.filter((k) => node.matrices[k] !== undefined);
      if (kinds.length === 0) continue;
      const values = kinds.flatMap((k) => offDiagonal(node.matrices[k] as Matrix));
      const lo = values.length > 0 ? Math.min(...values) : 0;
      const hi = values.length > 0 ? Math.max(...values) : 0;
      const better = MATRICES[kinds[0] as MatrixKind].better;
      const t = (v: number) => {
        const f = hi === lo ? 1 : (v - lo) / (hi - lo);
        return better === "higher" ? f : 1 - f;
      };
      let x = MARGIN;
      let rowH = 0;
      for (const kind of kinds) {
        const info = MATRICES[kind];
        const m = node.matrices[kind] as Matrix;
        const title = info.unit === "" ? info.title : `${info.title} (${info.unit})`;
        const gridW = labelW + n * cellW;
        const panelW = Math.max(gridW, textWidth(title, TITLE));
        text(x, y, title);
        const top = y + CHAR_H + 8 + CHAR_H + 6;
        // Column numbers (destination GPUs) above, row numbers (source GPUs) at the left.
        for (let j = 0; j < n; j++)
          items.push({
            kind: "text",
            x: x + labelW + j * cellW + cellW / 2,
            y: top - CHAR_H - 6,
            text: String(j),
            scale: TITLE,
            color: MUTED,
            anchor: "middle",
          });
        for (let i = 0; i < n; i++) {
          const cy = top + i * cellH;
          text(x, cy + (cellH - CHAR_H) / 2, String(i), MUTED);
          for (let j = 0; j < n; j++) {
            const v = m[i]?.[j] ?? null;
            const fill: Rgb =
              v === null ? MISSING : i === j ? SELF : kind === "connectivity" ? (v === 1 ? YES : NO) : scaleColor(t(v));
            const cx = x + labelW + j * cellW;
            const valueText = v === null ? "-" : kind === "connectivity" ? String(v) : cellText(v);
            items.push({
              kind: "rect",
              x: cx,
              y: cy,
              w: cellW - 1,
              h: cellH - 1,
              fill,
              cell: { matrix: kind, src: i, dst: j, value: v },
              label: `${info.title}: GPU ${i} -> GPU ${j}: ${v === null ? "not measured" : `${valueText}${info.unit ? ` ${info.unit}` : ""}`}`,
            });
            if (showValues)
              items.push({
                kind: "text",
                x: cx + (cellW - 1) / 2,
                y: cy + (cellH - 1 - CHAR_H) / 2,
                text: valueText,
                scale: TITLE,
                color: i === j || v === null ? MUTED : textOn(fill),
                anchor: "middle",
              });
          }
        }
        x += panelW + GAP;
        rowH = Math.max(rowH, top - y + n * cellH);
      }
      width = Math.max(width, x - GAP);
      y += rowH + 8;
      if (kinds[0] !== "connectivity" && values.length > 0) {
        // Legend: the shared scale from worst to best, with its ends.
        const unit = MATRICES[kinds[0] as MatrixKind].unit;
        const [worst, best] = better === "higher" ? [lo, hi] : [hi, lo];
        text(MARGIN, y, `${cellText(worst)} ${unit}`, MUTED);
        const barX = MARGIN + textWidth(`${cellText(worst)} ${unit}`, TITLE) + 8;
        for (let k = 0; k < 10; k++)
          items.push({ kind: "rect", x: barX + k * 12, y, w: 12, h: CHAR_H, fill: scaleColor(k / 9) });
        text(barX + 128, y, `${cellText(best)} ${unit} (${better} is better)`, MUTED);
        y += CHAR_H;
      }
      y += GAP;
    }
    y += GAP;
  }
  return { width: Math.ceil(width + MARGIN), height: Math.ceil(y), items };
}

function offDiagonal(m: Matrix): number[] {
  return m.flatMap((row, i) => row.filter((v, j): v is number => i !== j && v !== null));
}
