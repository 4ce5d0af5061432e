/**
 * Judgements on measured P2P, as checks with TE7xxx codes (area 7, "p2p", in src/report/finding.ts): the
 * driver's word (can access peer, enable peer access) against what the copies did.
 */
import type { Check } from "../../report/check.js";
import { asymmetric } from "./asymmetric.js";
import { belowSiblings } from "./below-siblings.js";
import { enableRefused } from "./enable-refused.js";
import { latencyKept } from "./latency-kept.js";
import { noFasterThanHost } from "./no-faster-than-host.js";
import { noPeerAccess } from "./no-peer-access.js";
import { probeFailed } from "./probe-failed.js";
import { smallBar1 } from "./small-bar1.js";
import type { Nodes } from "./utils/pairs.js";
import { wrongData } from "./wrong-data.js";

/** Every P2P check, in code order. */
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
