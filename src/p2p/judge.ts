/**
 * Judgements on measured P2P, as checks with TE7xxx codes (area 7, "p2p", in verify/finding.ts): the driver's
 * word (can access peer, enable peer access) against what the copies did. Thresholds are ratios, so that
 * PCIe and NVLink nodes are judged alike; each is named here and in the explanation that cites it.
 */
import { type Check, findingOf } from "../report/check.js";
import { chainPath, type Finding } from "../report/finding.js";
import type { Matrix, P2PNode } from "./model.js";

/** P2P on must beat the host bounce by this factor, unidirectionally or bidirectionally. */
export const BOUNCE_MARGIN = 1.1;
/** The slower direction of a pair below this fraction of the faster one is asymmetric. */
export const ASYMMETRY_RATIO = 0.75;
/** A pair below this fraction of the median of the node's P2P pairs is far below its siblings. */
export const SIBLING_RATIO = 0.5;
/** P2P-on latency must be below this fraction of the P2P-off latency. */
export const LATENCY_DROP = 0.9;

type Nodes = readonly P2PNode[];

const at = (m: Matrix | undefined, i: number, j: number): number | null => m?.[i]?.[j] ?? null;
const pairPath = (node: P2PNode, i: number, j: number): string =>
  chainPath(node.artifact, node.name, `GPU ${i} -> GPU ${j}`);
const fmt = (v: number): string => (v >= 100 ? v.toFixed(1) : v.toFixed(2));

/** Ordered pairs i != j of a node. */
function* pairs(node: P2PNode): Generator<[number, number]> {
  const n = node.gpus.length;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) yield [i, j];
}

/** Pairs the driver says can use P2P. */
const peered = (node: P2PNode, i: number, j: number): boolean => at(node.matrices.connectivity, i, j) === 1;

const median = (values: readonly number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

const measuredBy = (node: P2PNode): string =>
  node.source === "probe" ? "cuDeviceCanAccessPeer" : "the P2P Connectivity Matrix (cudaDeviceCanAccessPeer)";

const probeFailed: Check<Nodes> = {
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

const noPeerAccess: Check<Nodes> = {
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

const enableRefused: Check<Nodes> = {
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

const noFasterThanHost: Check<Nodes> = {
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

const wrongData: Check<Nodes> = {
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

const asymmetric: Check<Nodes> = {
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

const belowSiblings: Check<Nodes> = {
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

const latencyKept: Check<Nodes> = {
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

const smallBar1: Check<Nodes> = {
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

export const P2P_CHECKS: readonly Check<Nodes>[] = [
  probeFailed,
  noPeerAccess,
  enableRefused,
  noFasterThanHost,
  wrongData,
  asymmetric,
  belowSiblings,
  latencyKept,
  smallBar1,
];
