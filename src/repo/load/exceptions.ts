/**
 * `hack/test/exceptions-<arch>.yaml`: the duplicates upstream's CI accepts. go-tools'
 * extensions-duplicate-finder (cmd/extensions-duplicate-finder/cmd/validate.go) reads one per platform: a
 * list of `{images, files}` entries, each naming the exact set of images allowed to share the files its
 * patterns (Go's filepath.Match, on tar names such as `rootfs/usr/lib/...`) match.
 */

import type { DuplicateExceptions, ExceptionEntry, FileProblem } from "../model.js";
import { mapGet, nodePlace, parseYaml, scalarText, seqItems, TextMap } from "../yaml.js";
import type { RepoFiles } from "./files.js";

const EXCEPTIONS = /^hack\/test\/exceptions-([^/]+)\.yaml$/;

export async function loadExceptions(files: RepoFiles): Promise<DuplicateExceptions[]> {
  const out: DuplicateExceptions[] = [];
  for (const file of files.list((p) => EXCEPTIONS.test(p))) {
    const text = await files.read(file);
    if (text === undefined) continue;
    const read = readExceptions(new TextMap(file, text), files.problems);
    if (read !== undefined)
      out.push({ file, arch: (EXCEPTIONS.exec(file) as RegExpExecArray)[1] as string, entries: read });
  }
  return out;
}

function readExceptions(map: TextMap, problems: FileProblem[]): ExceptionEntry[] | undefined {
  const parsed = parseYaml(map);
  if ("errors" in parsed) {
    problems.push(...parsed.errors.map((e) => ({ file: map.file, place: e.place, message: e.message })));
    return undefined;
  }
  const { doc } = parsed;
  const strings = (node: unknown): string[] =>
    (seqItems(doc, node) ?? []).map((n) => scalarText(doc, n)).filter((s): s is string => s !== undefined);
  return (seqItems(doc, doc.contents) ?? []).map((item) => ({
    // The finder compares repository names (ref.Context().Name()); the last segment is the target's name.
    images: strings(mapGet(doc, item, "images")?.value).map((i) => i.slice(i.lastIndexOf("/") + 1)),
    files: strings(mapGet(doc, item, "files")?.value),
    line: nodePlace(map, item).line,
  }));
}
