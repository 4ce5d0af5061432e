import { type Check, findingOf } from "../../report/check.js";
import { at, fmt, type Nodes, pairPath, pairs, peered } from "./utils/pairs.js";
import { BOUNCE_MARGIN } from "./utils/thresholds.js";

export const noFasterThanHost: Check<Nodes> = {
  code: "TE7003",
  title: "P2P reported, but copies are no faster than the host bounce",
  severity: "error",
  explain:
    `The driver says yes and the bus says no: with peer access on, neither the unidirectional nor the ` +
    `bidirectional copy beats the same copy staged through host memory by ${Math.round((BOUNCE_MARGIN - 1) * 100)}%. ` +
    "The copies are still bouncing through the CPU (a topology where P2P is emulated, or a driver that reports " +
    "P2P it does not do), so every P2P user on the node pays host-copy speed.",
  fix:
    "Check `nvidia-smi topo -m` for the path between the pair (SYS/PHB across sockets), the PCIe switch or " +
    "ACS settings, and that the P2P mode the registry overrides force is the one the hardware supports.",
  run: (nodes) =>
    nodes.flatMap((node) =>
      [...pairs(node)].flatMap(([i, j]) => {
        if (!peered(node, i, j)) return [];
        const { uniOn, uniOff, biOn, biOff } = node.matrices;
        const [uOn, uOff, bOn, bOff] = [at(uniOn, i, j), at(uniOff, i, j), at(biOn, i, j), at(biOff, i, j)];
        if (uOn === null || uOff === null || uOn >= uOff * BOUNCE_MARGIN) return [];
        if (bOn !== null && bOff !== null && bOn >= bOff * BOUNCE_MARGIN) return [];
        const bi = bOn !== null && bOff !== null ? `; bidirectional ${fmt(bOn)} GB/s on, ${fmt(bOff)} off` : "";
        return [
          findingOf(noFasterThanHost, {
            artifact: node.artifact,
            path: pairPath(node, i, j),
            message: `GPU ${i} -> GPU ${j}: ${fmt(uOn)} GB/s with P2P on, ${fmt(uOff)} GB/s through the host${bi}`,
          }),
        ];
      }),
    ),
};
