import { type Check, findingOf } from "../../report/check.js";
import { chainPath } from "../../report/finding.js";
import type { Nodes } from "./utils/pairs.js";

export const smallBar1: Check<Nodes> = {
  code: "TE7008",
  title: "BAR1 smaller than the GPU's memory",
  severity: "warning",
  explain:
    "BAR1 is the window through which peers (and the P2P patch's static BAR1 mapping, RMForceStaticBar1) reach " +
    "the GPU's memory over PCIe. A BAR1 smaller than the memory (256 MiB is the size without Resizable BAR) " +
    "cannot map it all, so PCIe P2P over BAR1 fails or is refused.",
  fix: "Enable Resizable BAR (and Above 4G Decoding) in the BIOS, and check the size again with the probe.",
  run: (nodes) =>
    nodes.flatMap((node) =>
      node.gpus.flatMap((g) =>
        g.bar1Bytes == null || g.totalMemBytes === undefined || g.bar1Bytes >= g.totalMemBytes
          ? []
          : [
              findingOf(smallBar1, {
                artifact: node.artifact,
                path: chainPath(node.artifact, node.name, `GPU ${g.index}`),
                message: `GPU ${g.index} (${g.name ?? "unnamed"}): BAR1 ${g.bar1Bytes / 2 ** 20} MiB for ${Math.round(g.totalMemBytes / 2 ** 20)} MiB of memory`,
              }),
            ],
      ),
    ),
};
