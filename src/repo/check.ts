/**
 * `talos-ext check` as a library call: read an extensions repository, optionally narrow it to the extensions
 * a git range touches, and run the repository checks. Findings use the same Finding type, renderers and exit
 * codes as `verify`; repository codes take the x1xx block of each area (TE31xx, TE41xx, TE51xx), verify's
 * checks the x0xx block.
 */

import { type InputError, runChecks, type VerifyResult } from "../report/check.js";
import { repoChecks } from "./checks/index.js";
import { changedFiles, GitError } from "./git.js";
import { type LoadOptions, loadRepository } from "./load.js";
import type { RepoModel } from "./model.js";
import { TooManyEntries } from "./walk.js";

export interface CheckOptions extends LoadOptions {
  /** Check only the extensions whose inputs changed between this git revision's merge base and HEAD. */
  readonly changedSince?: string;
}

export interface RepoCheckResult extends VerifyResult {
  /** Absent when the repository could not be read. */
  readonly model?: RepoModel;
}

const failed = (artifact: string, message: string): RepoCheckResult => ({
  findings: [],
  inputErrors: [{ artifact, message }],
});

/**
 * Checks the repository at `root`. Finding artifacts are paths relative to `root`. Input errors (exit code 2)
 * only where nothing could be checked: the root cannot be listed, holds no extension, the git range cannot be
 * read, or no extension's pkg.yaml or manifest could be read.
 */
export async function checkRepository(root: string, options: CheckOptions = {}): Promise<RepoCheckResult> {
  let model: RepoModel;
  try {
    model = await loadRepository(root, options);
  } catch (err) {
    if (err instanceof TooManyEntries) return failed(root, err.message);
    const e = err as NodeJS.ErrnoException;
    if (e.code !== undefined) return failed(root, `cannot read the repository: ${e.message}`);
    throw err;
  }
  if (model.extensions.length === 0) {
    return failed(
      root,
      "no extension found: no directory holds a pkg.yaml next to a manifest.yaml.tmpl or manifest.yaml",
    );
  }
  if (options.changedSince !== undefined) {
    let changed: string[];
    try {
      changed = await changedFiles(root, options.changedSince);
    } catch (err) {
      if (err instanceof GitError) return failed(root, err.message);
      throw err;
    }
    const touched = model.extensions.filter((ext) => changed.some((p) => model.affects(ext, p)));
    model = { ...model, selected: new Set(touched) };
  }
  const result = await runChecks(repoChecks, model);
  const inputErrors: InputError[] = [...result.inputErrors];
  const chosen = model.extensions.filter((e) => model.selected.has(e));
  if (chosen.length > 0 && chosen.every((e) => e.pkg.doc === undefined && e.manifest === undefined)) {
    inputErrors.push({
      artifact: root,
      message: "nothing could be checked: no selected extension's pkg.yaml or manifest could be read",
    });
  }
  return { findings: result.findings, inputErrors, model };
}
