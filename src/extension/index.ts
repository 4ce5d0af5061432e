/** `talos-ext/extension`: defining, scaffolding and building a system extension, and planning its overlay. */
export { type BuildOptions, BuildRefused, type BuildResult, buildExtension } from "./build.js";
export {
  DEFINITION_FILE,
  DefinitionError,
  defineExtension,
  definitionSchema,
  type ExtensionDefinition,
  type ExtensionDefinitionInput,
  loadDefinition,
} from "./definition.js";
export { remapPatch } from "./patch-remap.js";
export { GENERATED_CACHE_LAYER, type OverlayPlan, planOverlay } from "./plan.js";
export { RootfsError } from "./rootfs.js";
export { listTemplates, SCAFFOLD_DEFAULTS, type ScaffoldVars, scaffold, type TemplateInfo } from "./scaffold.js";
