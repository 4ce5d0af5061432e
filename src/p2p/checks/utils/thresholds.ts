/**
 * The thresholds the P2P checks judge by. They are ratios, so that PCIe and NVLink nodes are judged alike;
 * each check's explanation cites the one it uses.
 */

/** P2P on must beat the host bounce by this factor, unidirectionally or bidirectionally. */
export const BOUNCE_MARGIN = 1.1;
/** The slower direction of a pair below this fraction of the faster one is asymmetric. */
export const ASYMMETRY_RATIO = 0.75;
/** A pair below this fraction of the median of the node's P2P pairs is far below its siblings. */
export const SIBLING_RATIO = 0.5;
/** P2P-on latency must be below this fraction of the P2P-off latency. */
export const LATENCY_DROP = 0.9;
