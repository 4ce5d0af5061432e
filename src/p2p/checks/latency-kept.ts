import { type Check, findingOf } from "../../report/check.js";
import { at, fmt, type Nodes, pairPath, pairs, peered } from "./utils/pairs.js";
import { LATENCY_DROP } from "./utils/thresholds.js";

export const latencyKept: Check<Nodes> = {
  code: "TE7007",
  title: "Latency did not drop with P2P on",
  severity: "warning",
  explain:
    `A small copy with P2P on should skip the host and take a fraction of the staged copy's time; here it takes ` +
    `${LATENCY_DROP * 100}% or more of it. The copy is still crossing the host, or the peer mapping goes through a ` +
    "slow path (a mailbox or an emulated aperture) rather than a direct write.",
  fix:
    "Compare with the pair's bandwidth findings; check the P2P type the registry overrides force " +
    "(RMForceP2PType, RMPcieP2PType) and the path in `nvidia-smi topo -m`.",
  run: (nodes) =>
    nodes.flatMap((node) =>
      [...pairs(node)].flatMap(([i, j]) => {
        if (!peered(node, i, j)) return [];
        const on = at(node.matrices.latOn, i, j);
        const off = at(node.matrices.latOff, i, j);
        if (on === null || off === null || on < off * LATENCY_DROP) return [];
        return [
          findingOf(latencyKept, {
            artifact: node.artifact,
            path: pairPath(node, i, j),
            message: `GPU ${i} -> GPU ${j}: ${fmt(on)} us with P2P on, ${fmt(off)} us with P2P off`,
          }),
        ];
      }),
    ),
};
