/**
 * What `talos-ext p2p report` knows about one node, whichever tool measured it: per-pair matrices (row = the
 * source GPU, column = the destination, as both p2pBandwidthLatencyTest and the probe lay them out) and, from
 * the probe, the facts behind them.
 */

/** n×n, `null` where nothing was measured (the probe's diagonal, a pair whose P2P mode was skipped). */
export type Matrix = readonly (readonly (number | null)[])[];

export interface MatrixInfo {
  readonly title: string;
  readonly unit: string;
  /** Which end of the scale is good: bandwidth high, latency low. */
  readonly better: "higher" | "lower";
}

export const MATRICES = {
  connectivity: { title: "P2P connectivity (can access peer)", unit: "", better: "higher" },
  uniOff: { title: "Unidirectional bandwidth, P2P off", unit: "GB/s", better: "higher" },
  uniOn: { title: "Unidirectional bandwidth, P2P on (writes)", unit: "GB/s", better: "higher" },
  uniOnReads: { title: "Unidirectional bandwidth, P2P on (reads)", unit: "GB/s", better: "higher" },
  biOff: { title: "Bidirectional bandwidth, P2P off", unit: "GB/s", better: "higher" },
  biOn: { title: "Bidirectional bandwidth, P2P on", unit: "GB/s", better: "higher" },
  latOff: { title: "GPU latency, P2P off", unit: "us", better: "lower" },
  latOn: { title: "GPU latency, P2P on (writes)", unit: "us", better: "lower" },
  latOnReads: { title: "GPU latency, P2P on (reads)", unit: "us", better: "lower" },
  cpuLatOff: { title: "CPU latency, P2P off", unit: "us", better: "lower" },
  cpuLatOn: { title: "CPU latency, P2P on (writes)", unit: "us", better: "lower" },
  cpuLatOnReads: { title: "CPU latency, P2P on (reads)", unit: "us", better: "lower" },
} as const satisfies Record<string, MatrixInfo>;

export type MatrixKind = keyof typeof MATRICES;

/** Display order; also the order the heat map groups P2P off beside P2P on. */
export const MATRIX_KINDS = Object.keys(MATRICES) as MatrixKind[];

export interface Gpu {
  readonly index: number;
  readonly name?: string;
  readonly pciBusId?: string;
  readonly totalMemBytes?: number;
  /** `null`: the probe could not read it (`bar1Unavailable` says why); absent: the source does not report it. */
  readonly bar1Bytes?: number | null;
  readonly bar1Unavailable?: string;
}

/** The probe's facts about one ordered pair beyond the matrices. */
export interface PairFacts {
  readonly src: number;
  readonly dst: number;
  /** cuCtxEnablePeerAccess results, src mapping dst and dst mapping src. */
  readonly enableSrcToDst: string;
  readonly enableDstToSrc: string;
  /** Whether the copied bytes arrived intact; absent when not checked. */
  readonly intactOff?: boolean;
  readonly intactOn?: boolean;
  /** CUDA calls that failed while measuring this pair. */
  readonly errors: readonly string[];
}

export interface P2PNode {
  /** The file it was read from. */
  readonly artifact: string;
  /** The host name the probe reported, or the tool's name for its text output. */
  readonly name: string;
  readonly source: "probe" | "p2pBandwidthLatencyTest";
  readonly gpus: readonly Gpu[];
  readonly matrices: Partial<Record<MatrixKind, Matrix>>;
  readonly pairs: readonly PairFacts[];
  /** Probe only. */
  readonly driver?: {
    readonly cudaVersion: string | null;
    readonly kernelModule: string | null;
    readonly registryDwords: string | null;
  };
  /** The probe could not measure at all: why. */
  readonly error?: string;
}
