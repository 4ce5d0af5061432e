/**
 * Reads one to five artifacts into the verify model: each input is opened (./open.ts), the reference kernel
 * chosen, and each artifact's layers read into facts (./collect.ts). Nothing is written to disk.
 */
import { stat } from "node:fs/promises";
import { DEFAULT_PLATFORM, type Platform } from "../src/formats/oci/archive.js";
import { artifactFacts } from "./collect.js";
import type { ArtifactFact, VerifyModel } from "./model.js";
import { ROLES } from "./model.js";
import { type ArtifactInput, type Opened, openArtifact } from "./open.js";
import { type Progress, Tally } from "./progress.js";

export type { ArtifactInput } from "./open.js";

/**
 * Opens every input, picks the reference kernel (the installer's, else the first in chain order) and reads the
 * rest. `progress`, when given, hears how many of the inputs' bytes are read and where reading is.
 */
export async function loadModel(
  inputs: readonly ArtifactInput[],
  platform: Platform = DEFAULT_PLATFORM,
  progress?: Progress,
): Promise<VerifyModel> {
  const sorted = [...inputs].sort((a, b) => ROLES.indexOf(a.role) - ROLES.indexOf(b.role));
  const sizes: number[] = [];
  for (const input of sorted) {
    // A missing or unreadable input is left for the archive reader to report, in its words.
    sizes.push((await stat(input.file).catch(() => undefined))?.size ?? 0);
  }
  const tally = new Tally(sizes, progress);
  const opened: Opened[] = [];
  try {
    for (const [i, input] of sorted.entries()) opened.push(await openArtifact(input, platform, tally.input(i)));
    const withKernel = opened.filter((o) => o.kernel !== undefined);
    const ref = withKernel.find((o) => o.input.role === "installer") ?? withKernel[0];
    const artifacts: ArtifactFact[] = [];
    for (const [i, o] of opened.entries()) {
      const counter = tally.input(i);
      artifacts.push(await artifactFacts(o, ref?.certificates, counter));
      counter.finish();
    }
    return { artifacts, ...(ref?.kernel ? { kernel: ref.kernel } : {}) };
  } finally {
    progress?.end();
    for (const o of opened) await o.image.close();
  }
}
