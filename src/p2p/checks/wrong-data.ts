import { type Check, findingOf } from "../../report/check.js";
import { type Nodes, pairPath } from "./utils/pairs.js";

export const wrongData: Check<Nodes> = {
  code: "TE7004",
  title: "A copy delivered wrong data",
  severity: "error",
  explain:
    "The probe fills the source with a pattern and the destination with its complement, copies, and reads the " +
    "destination back: here the bytes did not arrive. A P2P mapping with the wrong aperture or address (the " +
    "failure the P2P patch's authors hit: copies that 'succeed' at full speed and write nowhere) looks fast and " +
    "corrupts every result computed across GPUs.",
  fix:
    "Do not use P2P on this node until the probe's data check passes: check the patched modules' version against " +
    "the GPU generation, and dmesg for Xid errors.",
  run: (nodes) =>
    nodes.flatMap((node) =>
      node.pairs.flatMap((p) => {
        const bad = [...(p.intactOff === false ? ["P2P off"] : []), ...(p.intactOn === false ? ["P2P on"] : [])];
        return bad.length === 0
          ? []
          : [
              findingOf(wrongData, {
                artifact: node.artifact,
                path: pairPath(node, p.src, p.dst),
                message: `GPU ${p.src} -> GPU ${p.dst}: the copied bytes differ from the source with ${bad.join(" and ")}`,
              }),
            ];
      }),
    ),
};
