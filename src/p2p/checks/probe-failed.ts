import { type Check, findingOf } from "../../report/check.js";
import { chainPath, type Finding } from "../../report/finding.js";
import { type Nodes, pairPath } from "./utils/pairs.js";

export const probeFailed: Check<Nodes> = {
  code: "TE7000",
  title: "The probe could not measure",
  severity: "error",
  explain:
    "The probe exits non-zero when a CUDA call failed: no driver or device at all, or a call that failed while " +
    "measuring a pair, so that pair's figures are missing. A copy that faults with P2P on (an MMU fault, Xid 31, " +
    "from a peer mapping the hardware does not support) shows up here as a failed cuMemcpyPeerAsync or " +
    "cuStreamSynchronize.",
  fix:
    "Read the failed call and its CUresult in the message; check `dmesg` for NVRM Xid lines and that the " +
    "node's nvidia module is the one the extension ships (`/proc/driver/nvidia/version`).",
  run: (nodes) =>
    nodes.flatMap((node): Finding[] => [
      ...(node.error === undefined
        ? []
        : [
            findingOf(probeFailed, {
              artifact: node.artifact,
              path: chainPath(node.artifact, node.name),
              message: node.error,
            }),
          ]),
      ...node.pairs
        .filter((p) => p.errors.length > 0)
        .map((p) =>
          findingOf(probeFailed, {
            artifact: node.artifact,
            path: pairPath(node, p.src, p.dst),
            message: `GPU ${p.src} -> GPU ${p.dst}: ${p.errors.join("; ")}`,
          }),
        ),
    ]),
};
