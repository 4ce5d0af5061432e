/**
 * Reads one to five artifacts into the verify model: each input is opened (./open.ts), the reference kernel
 * chosen, and each artifact's layers read into facts (./collect.ts); then modules are judged against the
 * reference kernel's certificates. The CPU work runs on one pool of worker threads for the run (./pool.ts); the
 * kernels are decoded there while the layers are read. Nothing is written to disk.
 */
import { stat } from "node:fs/promises";
import { DEFAULT_PLATFORM, type Platform } from "../src/formats/oci/archive.js";
import { artifactFacts, type ReadArtifact } from "./collect.js";
import type { ArtifactFact, VerifyModel } from "./model.js";
import { ROLES } from "./model.js";
import { Judge } from "./modules.js";
import { type ArtifactInput, type Opened, openArtifact } from "./open.js";
import { VerifyPool } from "./pool.js";
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
  const pool = new VerifyPool();
  try {
    for (const [i, input] of sorted.entries()) opened.push(await openArtifact(input, platform, pool, tally.input(i)));
    const reading = Promise.all(opened.map((o) => o.kernel));
    const reference = reading.then((kernels) => {
      const withKernel = opened.flatMap((o, i) => (kernels[i] ? [{ role: o.input.role, read: kernels[i] }] : []));
      return (withKernel.find((k) => k.role === "installer") ?? withKernel[0])?.read;
    });
    reference.catch(() => undefined); // awaited below, once the layers are read
    const judge = new Judge(
      reference.then((r) => r?.certificates),
      (checks) => pool.signatures(checks),
    );
    const read: ReadArtifact[] = [];
    for (const [i, o] of opened.entries()) {
      const counter = tally.input(i);
      read.push(await artifactFacts(o, pool, counter, judge));
      counter.finish();
    }
    const kernels = await reading;
    const ref = await reference;
    const artifacts: ArtifactFact[] = [];
    for (const [i, { modules, ...a }] of read.entries()) {
      const kernel = kernels[i]?.kernel;
      const { role, file, talosVersion, boot, ...rest } = a;
      artifacts.push({
        role,
        file,
        ...(talosVersion ? { talosVersion } : {}),
        ...(kernel ? { kernel } : {}),
        ...(boot ? { boot } : {}),
        modules: await judge.judge(modules),
        ...rest,
      });
    }
    return { artifacts, ...(ref ? { kernel: ref.kernel } : {}) };
  } finally {
    progress?.end();
    await pool.close();
    for (const o of opened) await o.image.close();
  }
}
