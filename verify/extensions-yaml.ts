/** An installer's extensions.yaml: the extension layers in the order Talos stacks them, each with its manifest. */
import { type Document, isAlias, isMap, isSeq, LineCounter, parseDocument } from "yaml";
import { FormatError } from "../src/io/errors.js";
import { type ManifestParse, parseListedMetadata } from "../src/talos/manifest.js";

export interface ListedLayer extends ManifestParse {
  /** The layer's file in the initramfs, e.g. `001.glibc.sqsh`. */
  readonly image: string;
}

/**
 * The layers extensions.yaml lists, in its order, each with the metadata the imager copied from its manifest
 * read as Talos reads a manifest (issues point into `location`); anything else in it is a format error.
 */
export function listedLayers(text: string, location: string): ListedLayer[] {
  const lines = new LineCounter();
  let doc: Document;
  let plain: unknown;
  try {
    doc = parseDocument(text, { lineCounter: lines });
    if (doc.errors[0] !== undefined) throw doc.errors[0];
    plain = doc.toJS();
  } catch (err) {
    throw new FormatError(location, 0, "extensions.yaml", "YAML", (err as Error).message);
  }
  const layers = (plain as { layers?: unknown } | null)?.layers;
  if (layers === undefined || layers === null) return [];
  if (!Array.isArray(layers)) throw new FormatError(location, 0, "layers", "a list", typeof layers);
  // The metadata is read from its YAML node, so that scalars keep their text as Go's decoder keeps it.
  const child = (node: unknown, key: string | number): unknown => {
    const n = isAlias(node) ? node.resolve(doc) : node;
    return isMap(n) || isSeq(n) ? n.get(key, true) : undefined;
  };
  const nodes = child(doc.contents, "layers");
  return layers.map((l: { image?: unknown } | null, i) => {
    if (typeof l?.image !== "string") throw new FormatError(location, 0, `layers[${i}].image`, "a file name");
    return { image: l.image, ...parseListedMetadata(doc, lines, child(child(nodes, i), "metadata"), location) };
  });
}
