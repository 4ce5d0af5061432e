import { type Check, findingOf } from "../../report/check.js";
import { chainPath } from "../../report/finding.js";
import type { P2PNode } from "../model.js";
import { at, type Nodes, pairs } from "./utils/pairs.js";

const measuredBy = (node: P2PNode): string =>
  node.source === "probe" ? "cuDeviceCanAccessPeer" : "the P2P Connectivity Matrix (cudaDeviceCanAccessPeer)";

export const noPeerAccess: Check<Nodes> = {
  code: "TE7001",
  title: "No peer access between GPUs",
  severity: "error",
  explain:
    "The driver says these GPUs cannot map each other's memory, so every copy between them is staged through " +
    "host memory. On GeForce cards the stock driver refuses P2P; the patched open modules allow it only when " +
    "they are the modules loaded, with Resizable BAR on, the IOMMU off or in passthrough, and the RM registry " +
    "overrides in NVreg_RegistryDwords. `nvidia-smi topo -p2p` is no substitute: it can disagree with the driver.",
  fix:
    "Check that the node runs the P2P-patched modules (`/proc/driver/nvidia/version`), that " +
    "`/proc/driver/nvidia/params` shows the RegistryDwords the extension's modprobe.d sets, and the BIOS's " +
    "Resizable BAR and IOMMU settings; then run the probe again.",
  run: (nodes) =>
    nodes.flatMap((node) => {
      const denied = [...pairs(node)].filter(([i, j]) => at(node.matrices.connectivity, i, j) === 0);
      if (denied.length === 0) return [];
      const total = node.gpus.length * (node.gpus.length - 1);
      const listed = denied.slice(0, 12).map(([i, j]) => `${i}->${j}`);
      const more = denied.length > listed.length ? `, and ${denied.length - listed.length} more` : "";
      return [
        findingOf(noPeerAccess, {
          artifact: node.artifact,
          path: chainPath(node.artifact, node.name),
          message: `${measuredBy(node)} says no for ${denied.length} of ${total} GPU pairs: ${listed.join(", ")}${more}`,
        }),
      ];
    }),
};
