import type { Check } from "../../src/report/check.js";
import type { VerifyModel } from "../model.js";
import { badSignature } from "./bad-signature.js";
import { chainBreak } from "./chain-break.js";
import { extensionPaths } from "./extension-paths.js";
import { hashAlgorithm } from "./hash-algorithm.js";
import { kernelMismatch } from "./kernel-mismatch.js";
import { ldcacheShadowing } from "./ldcache-shadowing.js";
import { manifestSchema } from "./manifest-schema.js";
import { modprobeOptions } from "./modprobe-options.js";
import { moduleStomping } from "./module-stomping.js";
import { noKernel } from "./no-kernel.js";
import { overlayConflicts } from "./overlay-conflicts.js";
import { staleModulesAlias } from "./stale-modules-alias.js";
import { staleModulesDep } from "./stale-modules-dep.js";
import { talosCompatibility } from "./talos-compatibility.js";
import { unknownKey } from "./unknown-key.js";
import { unreadableFile } from "./unreadable-file.js";
import { unsignedModule } from "./unsigned-module.js";
import { vermagic } from "./vermagic.js";

/** Every verify check, in code order. */
export const checks: readonly Check<VerifyModel>[] = [
  unsignedModule,
  unknownKey,
  badSignature,
  noKernel,
  hashAlgorithm,
  chainBreak,
  vermagic,
  kernelMismatch,
  moduleStomping,
  staleModulesDep,
  staleModulesAlias,
  overlayConflicts,
  ldcacheShadowing,
  manifestSchema,
  talosCompatibility,
  extensionPaths,
  modprobeOptions,
  unreadableFile,
];
