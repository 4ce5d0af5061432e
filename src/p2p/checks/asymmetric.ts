import { type Check, findingOf } from "../../report/check.js";
import { chainPath } from "../../report/finding.js";
import { at, fmt, type Nodes, pairs, peered } from "./utils/pairs.js";
import { ASYMMETRY_RATIO } from "./utils/thresholds.js";

export const asymmetric: Check<Nodes> = {
  code: "TE7005",
  title: "Asymmetric pair",
  severity: "warning",
  explain:
    `One direction of the pair runs below ${ASYMMETRY_RATIO * 100}% of the other with P2P on. Links are ` +
    "symmetric; a slow direction points at a degraded link (a PCIe port trained at a lower width or speed, " +
    "an NVLink down) or at one GPU reaching the other through a different path.",
  fix:
    "Compare `nvidia-smi -q` (PCIe link generation and width, NVLink status) for both GPUs, and `lspci -vv` " +
    "LnkSta of the ports between them.",
  run: (nodes) =>
    nodes.flatMap((node) =>
      [...pairs(node)].flatMap(([i, j]) => {
        if (i > j || !peered(node, i, j) || !peered(node, j, i)) return [];
        const there = at(node.matrices.uniOn, i, j);
        const back = at(node.matrices.uniOn, j, i);
        if (there === null || back === null || Math.min(there, back) >= Math.max(there, back) * ASYMMETRY_RATIO)
          return [];
        return [
          findingOf(asymmetric, {
            artifact: node.artifact,
            path: chainPath(node.artifact, node.name, `GPU ${i} <-> GPU ${j}`),
            message: `GPU ${i} -> GPU ${j} at ${fmt(there)} GB/s, GPU ${j} -> GPU ${i} at ${fmt(back)} GB/s with P2P on`,
          }),
        ];
      }),
    ),
};
