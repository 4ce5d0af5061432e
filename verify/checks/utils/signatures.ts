/** Shared by the signing checks: every module of every artifact, with where it was found. */
import type { ArtifactFact, ModuleFact, VerifyModel } from "../../model.js";

export function* allModules(model: VerifyModel): Generator<{ artifact: ArtifactFact; module: ModuleFact }> {
  for (const artifact of model.artifacts) for (const module of artifact.modules) yield { artifact, module };
}
