import type { Check } from "../../report/check.js";
import type { RepoModel } from "../model.js";
import { buildInputMissing } from "./build-input-missing.js";
import { directoryShadowed } from "./directory-shadowed.js";
import { imageLayout } from "./image-layout.js";
import { installPathNotAllowed } from "./install-path-not-allowed.js";
import { linkerConfigShared } from "./linker-config-shared.js";
import { manifestIgnoredKey } from "./manifest-ignored-key.js";
import { manifestRefusedByTalos } from "./manifest-refused-by-talos.js";
import { manifestRefusedByValidator } from "./manifest-refused-by-validator.js";
import { nameMismatch } from "./name-mismatch.js";
import { notATarget } from "./not-a-target.js";
import { notPublished } from "./not-published.js";
import { readmeMissing } from "./readme-missing.js";
import { serviceRefused } from "./service-refused.js";
import { sharedModuleName } from "./shared-module-name.js";
import { sharedPath } from "./shared-path.js";
import { talosIncompatible } from "./talos-incompatible.js";
import { talosUnknown } from "./talos-unknown.js";
import { templateNotEvaluated } from "./template-not-evaluated.js";
import { templateSyntax } from "./template-syntax.js";
import { undefinedVariable } from "./undefined-variable.js";
import { unreadableFile } from "./unreadable-file.js";
import { versionVariable } from "./version-variable.js";

/** Every repository check, in code order. */
export const repoChecks: readonly Check<RepoModel>[] = [
  sharedPath,
  sharedModuleName,
  linkerConfigShared,
  directoryShadowed,
  unreadableFile,
  manifestRefusedByTalos,
  manifestRefusedByValidator,
  manifestIgnoredKey,
  undefinedVariable,
  templateSyntax,
  templateNotEvaluated,
  nameMismatch,
  versionVariable,
  buildInputMissing,
  installPathNotAllowed,
  imageLayout,
  readmeMissing,
  talosIncompatible,
  notATarget,
  notPublished,
  serviceRefused,
  talosUnknown,
];
