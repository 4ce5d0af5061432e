/** Which other packages build an extension as one of their stages. */
import { stagesOf } from "../../load/stages.js";
import type { Extension, RepoModel } from "../../model.js";

/**
 * Names of the packages that build `ext` as a stage (directly or through others): upstream's reproducibility
 * and grype-scan packages list extensions this way, so one left out of the targets is still built.
 */
export function builtBy(model: RepoModel, ext: Extension): string[] {
  return model.packages
    .filter((p) => p !== ext.pkg && stagesOf(p, model.packagesByName).has(ext.pkg))
    .map((p) => p.doc?.name?.value ?? p.dir);
}
