/** `talos-ext/p2p`: GPU peer-to-peer measurements read, judged, and drawn as tables and heat maps. */
export { P2P_CHECKS } from "./checks/index.js";
export { renderPng } from "./image/png.js";
export { buildScene } from "./image/scene.js";
export { renderSvg } from "./image/svg.js";
export { parseP2PText, readP2PFile } from "./load.js";
export type { Gpu, Matrix, MatrixKind, P2PNode } from "./model.js";
export { PROBE_SCHEMA } from "./probe.js";
export { renderTables } from "./table.js";
