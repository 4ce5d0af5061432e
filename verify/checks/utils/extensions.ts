/** Shared by the manifest checks: every extension of every artifact, the Talos version judged against, and
 * whether it is the imager's own generated modules.dep layer (which carries no manifest of a user's). */
import type { ArtifactFact, ExtensionFact, VerifyModel } from "../../model.js";

export const talosVersionOf = (model: VerifyModel): string | undefined =>
  model.artifacts.find((a) => a.talosVersion !== undefined)?.talosVersion;

const isGenerated = (e: ExtensionFact): boolean =>
  e.manifest?.metadata.name === "modules.dep" && e.manifest.metadata.author === "Talos Machinery";

export function* userExtensions(model: VerifyModel): Generator<{ artifact: ArtifactFact; extension: ExtensionFact }> {
  for (const artifact of model.artifacts) {
    for (const extension of artifact.extensions) if (!isGenerated(extension)) yield { artifact, extension };
  }
}
