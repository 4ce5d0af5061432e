/** `talos-ext/repo`: an extensions repository read as bldr reads it, and the checks `talos-ext check` runs. */
export { type CheckOptions, checkRepository, type RepoCheckResult } from "./check.js";
export { repoChecks } from "./checks/index.js";
export type { Install, PkgRef } from "./installs.js";
export { type LoadOptions, loadRepository } from "./load.js";
export type { Extension, Package, RepoModel } from "./model.js";
