/** `talos-ext/talos`: Talos' rules per release, its manifest, the imager's layer order and the overlay judgements. */
export { type BootBudget, type BootLayout, bootBudget, bootPartitionSize } from "./boot-budget.js";
export {
  type Enforcement,
  type EnforcementInputs,
  moduleSignatureEnforcement,
  talosDefaultArgs,
} from "./enforcement.js";
export { imagerInputOrder, imagerStackOrder } from "./layer-order.js";
export {
  type ExtensionMetadata,
  type Manifest,
  type ManifestIssue,
  type ManifestParse,
  manifestSchema,
  metadataSchema,
  parseManifest,
} from "./manifest.js";
export {
  type CacheVerdict,
  judgeLdCaches,
  type LayerCache,
  type LayerLibrary,
  type OverlayLayer,
  type PathConflict,
  pathConflicts,
} from "./overlay.js";
export {
  type CompatibilityResult,
  checkCompatibility,
  checkExtensionTree,
  OLDEST_MODELLED_TALOS,
  type TalosRules,
  type TreeEntry,
  type TreeViolation,
  talosRules,
} from "./rules.js";
export { compareSemver, parseRange, parseSemver, type SemVersion, SemverError, satisfies } from "./semver.js";
export {
  parseServiceSpec,
  type ServiceDependency,
  type ServiceIssue,
  type ServiceParse,
  type ServiceSpec,
} from "./service.js";
