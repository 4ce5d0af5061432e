import { type Check, findingOf } from "../../report/check.js";
import { type Nodes, pairPath, peered } from "./utils/pairs.js";

export const enableRefused: Check<Nodes> = {
  code: "TE7002",
  title: "Peer access reported but cannot be enabled",
  severity: "error",
  explain:
    "cuDeviceCanAccessPeer says yes, yet cuCtxEnablePeerAccess fails, so frameworks that enable peer access " +
    "(NCCL, PyTorch) either fail or fall back to host-staged copies without saying so.",
  fix:
    "The CUresult in the message says why (CUDA_ERROR_TOO_MANY_PEERS, CUDA_ERROR_PEER_ACCESS_UNSUPPORTED); " +
    "check the RM registry overrides and BAR1 size on the node.",
  run: (nodes) =>
    nodes.flatMap((node) =>
      node.pairs
        .filter((p) => peered(node, p.src, p.dst))
        .filter((p) => p.enableSrcToDst !== "CUDA_SUCCESS" || p.enableDstToSrc !== "CUDA_SUCCESS")
        .map((p) =>
          findingOf(enableRefused, {
            artifact: node.artifact,
            path: pairPath(node, p.src, p.dst),
            message: `GPU ${p.src} -> GPU ${p.dst}: cuCtxEnablePeerAccess gave ${p.enableSrcToDst} from GPU ${p.src}, ${p.enableDstToSrc} from GPU ${p.dst}`,
          }),
        ),
    ),
};
