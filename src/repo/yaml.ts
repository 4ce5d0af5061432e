/**
 * YAML as bldr and go-yaml read it, with every position reported in the file the user edits: the text may be
 * a template's output, so offsets go back through the template's source map first.
 */
import { type Document, isAlias, isMap, isScalar, isSeq, type Node, parseAllDocuments, type YAMLMap } from "yaml";
import { LineIndex, type Place } from "./source.js";
import type { Rendered } from "./template.js";

/** A text and the way back from its offsets to places in its source file. */
export class TextMap {
  private readonly lines: LineIndex;
  private readonly renderedLines: LineIndex;

  constructor(
    readonly file: string,
    readonly source: string,
    readonly rendered: Rendered = { text: source, sourceOffset: (o) => o },
  ) {
    this.lines = new LineIndex(source);
    this.renderedLines = new LineIndex(rendered.text);
  }

  get text(): string {
    return this.rendered.text;
  }

  /** The source place of an offset in the rendered text. */
  place(offset: number): Place {
    return this.lines.place(this.rendered.sourceOffset(offset));
  }

  /** The source place of a 1-based line and column in the rendered text. */
  placeOfRendered(place: Place): Place {
    return this.place(this.renderedLines.offset(place));
  }

  /** The source place of a source offset. */
  sourcePlace(offset: number): Place {
    return this.lines.place(offset);
  }
}

export interface YamlError {
  readonly place: Place;
  readonly message: string;
}

export type YamlResult = { readonly doc: Document } | { readonly errors: readonly YamlError[] };

/** The first document, as go-yaml's Unmarshal reads it (duplicate keys refused); errors name line and column. */
export function parseYaml(map: TextMap): YamlResult {
  const docs = parseAllDocuments(map.text, { prettyErrors: false, uniqueKeys: true });
  const doc = Array.isArray(docs) ? docs[0] : undefined;
  if (doc === undefined) return { doc: parseAllDocuments("{}")[0] as Document };
  if (doc.errors.length === 0) return { doc };
  return {
    errors: doc.errors.map((err) => {
      const place = map.place(err.pos[0]);
      // The library's messages sometimes end in a period; the place follows either way.
      const text = err.message.replace(/\.$/, "");
      return { place, message: `malformed YAML at line ${place.line}, column ${place.column}: ${text}` };
    }),
  };
}

const deref = (doc: Document, node: unknown): unknown => (isAlias(node) ? node.resolve(doc) : node);

/** A scalar's text as go-yaml gives it to a string field: plain `1.10` or `true` stays as written; null is absent. */
export function scalarText(doc: Document, node: unknown): string | undefined {
  const n = deref(doc, node);
  if (!isScalar(n) || n.value === null) return undefined;
  return typeof n.value === "string" ? n.value : (n.source ?? String(n.value));
}

/** Where a node starts, in the source. */
export function nodePlace(map: TextMap, node: unknown, fallback: Place = { line: 1, column: 1 }): Place {
  const start = (node as Node | null)?.range?.[0];
  return start === undefined ? fallback : map.place(start);
}

export interface Entry {
  readonly key: string;
  readonly keyNode: Node;
  readonly value: unknown;
}

/** The entries of a mapping with scalar keys, in order; undefined when the node is not a mapping. */
export function mapEntries(doc: Document, node: unknown): Entry[] | undefined {
  const n = deref(doc, node);
  if (!isMap(n)) return undefined;
  const out: Entry[] = [];
  for (const pair of (n as YAMLMap).items) {
    const key = deref(doc, pair.key);
    if (!isScalar(key)) continue;
    out.push({ key: String(key.source ?? key.value), keyNode: key as Node, value: pair.value });
  }
  return out;
}

export function mapGet(doc: Document, node: unknown, key: string): Entry | undefined {
  return mapEntries(doc, node)?.find((e) => e.key === key);
}

export function seqItems(doc: Document, node: unknown): unknown[] | undefined {
  const n = deref(doc, node);
  return isSeq(n) ? n.items : undefined;
}

/** What go-yaml would say decoding this node into a string. */
export function kindName(doc: Document, node: unknown): string {
  const n = deref(doc, node);
  return isMap(n) ? "!!map" : isSeq(n) ? "!!seq" : "!!str";
}

export { isScalar };
