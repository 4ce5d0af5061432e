import type { Check } from "../../report/check.js";
import { findingOf } from "../../report/check.js";
import { parseServiceSpec } from "../../talos/service.js";
import type { Extension, RepoModel } from "../model.js";
import { readText } from "../source.js";
import { isServiceSpec } from "./utils/paths.js";
import { selected } from "./utils/selection.js";

/** Repository files copied from `/pkg` into the extension's service directory, as `cp` lines show them. */
function serviceSources(model: RepoModel, ext: Extension): string[] {
  const refs = model.refsOf(ext);
  const out = new Set<string>();
  for (const [path, e] of model.rootfsOf(ext)) {
    if (!isServiceSpec(path)) continue;
    const same = refs.filter(
      (r) => !r.ref.glob && r.ref.origin.file === e.origin.file && r.ref.origin.place.line === e.origin.place.line,
    );
    if (same.length !== 1) continue;
    const { pkg, ref } = same[0] as (typeof same)[number];
    out.add(pkg.dir === "" ? ref.path : `${pkg.dir}/${ref.path}`);
  }
  return [...out];
}

export const serviceRefused: Check<RepoModel> = {
  code: "TE5117",
  title: "Extension service spec that machined skips",
  severity: "error",
  explain:
    "machined decodes each /usr/local/etc/containers/*.yaml into an extension service spec and validates it " +
    "(name, container.entrypoint, restart: always, never or untilSuccess, one kind per dependency, absolute " +
    "paths); a spec that fails is logged and skipped, so the service never starts and the extension still " +
    "installs without error.",
  fix: "Correct the spec as the message says; talos-ext verify reads the same rules from the built image.",
  async run(model) {
    const version = model.talos?.version;
    if (version === undefined) return [];
    const out = [];
    for (const ext of selected(model)) {
      for (const file of serviceSources(model, ext)) {
        const read = await readText(model.root, file);
        if ("problem" in read) continue;
        for (const issue of parseServiceSpec(read.text, file, version).issues) {
          out.push(
            findingOf(this, {
              artifact: file,
              line: issue.line,
              column: issue.column,
              message: `${ext.name}: machined of Talos ${version} skips this service: ${issue.message}`,
            }),
          );
        }
      }
    }
    return out;
  },
};
