/** A node's GPU pairs and their cells in the measured matrices. */
import { chainPath } from "../../../report/finding.js";
import type { Matrix, P2PNode } from "../../model.js";

export type Nodes = readonly P2PNode[];

export const at = (m: Matrix | undefined, i: number, j: number): number | null => m?.[i]?.[j] ?? null;
export const pairPath = (node: P2PNode, i: number, j: number): string =>
  chainPath(node.artifact, node.name, `GPU ${i} -> GPU ${j}`);
export const fmt = (v: number): string => (v >= 100 ? v.toFixed(1) : v.toFixed(2));

/** Ordered pairs i != j of a node. */
export function* pairs(node: P2PNode): Generator<[number, number]> {
  const n = node.gpus.length;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) yield [i, j];
}

/** Pairs the driver says can use P2P. */
export const peered = (node: P2PNode, i: number, j: number): boolean => at(node.matrices.connectivity, i, j) === 1;
