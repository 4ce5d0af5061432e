/** Which other packages build an extension as one of their stages. */
import { stagesOf } from "../../load/stages.js";
import type { Extension, RepoModel } from "../../model.js";
import { selected } from "./selection.js";

/**
 * Names of the packages that build `ext` as a stage (directly or through others): upstream's reproducibility
 * and grype-scan packages list extensions this way, so one left out of the targets is still built.
 */
export function builtBy(model: RepoModel, ext: Extension): string[] {
  return model.packages
    .filter((p) => p !== ext.pkg && stagesOf(p, model.packagesByName).has(ext.pkg))
    .map((p) => p.doc?.name?.value ?? p.dir);
}

/** The selected extensions .kres.yaml does not list as targets, each with the packages that build it as a stage. */
export function untargeted(model: RepoModel) {
  const kres = model.kres;
  if (kres === undefined) return [];
  return selected(model).flatMap((ext) => {
    const name = ext.pkg.doc?.name;
    if (name === undefined || kres.names.has(name.value)) return [];
    return [{ ext, name, kresFile: kres.file, by: builtBy(model, ext) }];
  });
}
