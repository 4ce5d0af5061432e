/** `talos-ext/verify`: the installer verifier: its model of the artifacts, and the checks over it. */
export { checks } from "./checks/index.js";
export { type ArtifactInput, loadModel } from "./load.js";
export { ROLES, type Role, type VerifyModel } from "./model.js";
export { type Progress, terminalProgress } from "./progress.js";
