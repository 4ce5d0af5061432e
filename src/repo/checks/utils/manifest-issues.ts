import type { FindingAt } from "../../../report/check.js";
import type { ManifestRejection } from "../../../talos/manifest.js";
import type { RepoModel } from "../../model.js";
import { at } from "./finding.js";
import { selected } from "./selection.js";

/** The issues of the selected extensions' rendered manifests that `rejectedBy` raises, at their source places. */
export function issuesOf(model: RepoModel, rejectedBy: ManifestRejection): FindingAt[] {
  return selected(model).flatMap((ext) => {
    const m = ext.manifest;
    if (m === undefined) return [];
    return m.parse.issues
      .filter((i) => i.rejectedBy === rejectedBy)
      .map((i) => at(m.file, m.map.placeOfRendered(i), `${i.key ? `${i.key}: ` : ""}${i.message}`));
  });
}
