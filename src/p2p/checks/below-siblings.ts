import { type Check, findingOf } from "../../report/check.js";
import { at, fmt, type Nodes, pairPath, pairs, peered } from "./utils/pairs.js";
import { SIBLING_RATIO } from "./utils/thresholds.js";

const median = (values: readonly number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

export const belowSiblings: Check<Nodes> = {
  code: "TE7006",
  title: "Pair far below its siblings",
  severity: "warning",
  explain:
    `With P2P on, this pair's bandwidth is below ${SIBLING_RATIO * 100}% of the median of the node's P2P pairs. ` +
    "Collective operations run at the speed of their slowest link, so one slow pair slows the whole node.",
  fix:
    "Check `nvidia-smi topo -m` for the pair's path against its siblings', and the link speed and width of the " +
    "ports on it; move the GPU or fix the link.",
  run: (nodes) =>
    nodes.flatMap((node) => {
      const measures = [
        { name: "unidirectional", m: node.matrices.uniOn },
        { name: "bidirectional", m: node.matrices.biOn },
      ].map(({ name, m }) => {
        const values = [...pairs(node)]
          .filter(([i, j]) => peered(node, i, j))
          .map(([i, j]) => at(m, i, j))
          .filter((v): v is number => v !== null);
        // Fewer than three pairs have no siblings to compare with but the reverse, which TE7005 judges.
        return { name, m, median: values.length >= 3 ? median(values) : null };
      });
      return [...pairs(node)].flatMap(([i, j]) => {
        if (!peered(node, i, j)) return [];
        const low = measures.flatMap(({ name, m, median: med }) => {
          const v = at(m, i, j);
          return med === null || v === null || v >= med * SIBLING_RATIO
            ? []
            : [`${name} ${fmt(v)} GB/s against a median of ${fmt(med)}`];
        });
        return low.length === 0
          ? []
          : [
              findingOf(belowSiblings, {
                artifact: node.artifact,
                path: pairPath(node, i, j),
                message: `GPU ${i} -> GPU ${j}: ${low.join("; ")}`,
              }),
            ];
      });
    }),
};
