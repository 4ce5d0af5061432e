import type { Check } from "../../src/report/check.js";
import type { VerifyModel } from "../model.js";
import { badSignature } from "./bad-signature.js";
import { bootAssets } from "./boot-assets.js";
import { bootSignature } from "./boot-signature.js";
import { bootSize } from "./boot-size.js";
import { chainBreak } from "./chain-break.js";
import { compilerMismatch } from "./compiler-mismatch.js";
import { enforcementOff } from "./enforcement-off.js";
import { extensionPaths } from "./extension-paths.js";
import { firmwareMissing } from "./firmware-missing.js";
import { hashAlgorithm } from "./hash-algorithm.js";
import { kernelMismatch } from "./kernel-mismatch.js";
import { ldcacheShadowing } from "./ldcache-shadowing.js";
import { ldcacheTrusted } from "./ldcache-trusted.js";
import { libraryResolution } from "./library-resolution.js";
import { machineModules } from "./machine-modules.js";
import { manifestSchema } from "./manifest-schema.js";
import { modprobeMachined } from "./modprobe-machined.js";
import { modprobeOptions } from "./modprobe-options.js";
import { moduleStomping } from "./module-stomping.js";
import { noKernel } from "./no-kernel.js";
import { overlayConflicts } from "./overlay-conflicts.js";
import { serviceEntrypoint } from "./service-entrypoint.js";
import { serviceSpec } from "./service-spec.js";
import { staleModulesAlias } from "./stale-modules-alias.js";
import { staleModulesDep } from "./stale-modules-dep.js";
import { symbolVersions } from "./symbol-versions.js";
import { talosCompatibility } from "./talos-compatibility.js";
import { unknownKey } from "./unknown-key.js";
import { unreadableFile } from "./unreadable-file.js";
import { unsignedModule } from "./unsigned-module.js";
import { vermagic } from "./vermagic.js";
import { worldWritable } from "./world-writable.js";

/** Every verify check, in code order. */
export const checks: readonly Check<VerifyModel>[] = [
  unsignedModule,
  unknownKey,
  badSignature,
  noKernel,
  hashAlgorithm,
  chainBreak,
  enforcementOff,
  vermagic,
  kernelMismatch,
  compilerMismatch,
  symbolVersions,
  moduleStomping,
  staleModulesDep,
  staleModulesAlias,
  firmwareMissing,
  overlayConflicts,
  ldcacheShadowing,
  libraryResolution,
  ldcacheTrusted,
  manifestSchema,
  talosCompatibility,
  extensionPaths,
  serviceSpec,
  serviceEntrypoint,
  worldWritable,
  modprobeOptions,
  machineModules,
  modprobeMachined,
  bootAssets,
  bootSignature,
  bootSize,
  unreadableFile,
];
