/**
 * An extension's `manifest.yaml`, read as Talos reads it (siderolabs/talos pkg/machinery/extensions:
 * metadata.go for the shape, load.go for what refuses it, validate.go for the constraint) and checked against
 * what siderolabs/extensions' build adds on top (siderolabs/extensions-validator cmd/.../validate.go).
 *
 * Talos decodes the first YAML document into plain Go strings: any scalar becomes its text (`version: 1.10`
 * stays "1.10"), null or a missing key leaves "", unknown keys are ignored, and a mapping or sequence where a
 * string belongs is an error. The only field it requires is `version: v1alpha1`; the imager then refuses a
 * `compatibility.talos.version` that blang/semver cannot parse. Every issue carries the file, line and column
 * of the offending value (or of the nearest key present when the key is missing).
 */
import { type Document, isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseAllDocuments } from "yaml";
import { z } from "zod";
import { trimConstraint } from "./rules.js";
import { parseRange, SemverError } from "./semver.js";

/** A string field as Go decodes it: absent or null is "". */
const text = z.string().default("");

export const metadataSchema = z.object({
  name: text,
  version: text,
  author: text,
  description: text,
  compatibility: z.object({ talos: z.object({ version: text }).prefault({}) }).prefault({}),
  extraInfo: z.string().optional(),
});

export const manifestSchema = z.object({
  version: z.literal("v1alpha1", {
    error: (iss) => `unsupported manifest version: ${JSON.stringify(typeof iss.input === "string" ? iss.input : "")}`,
  }),
  metadata: metadataSchema.prefault({}),
});

export type ExtensionMetadata = z.infer<typeof metadataSchema>;
export type Manifest = z.infer<typeof manifestSchema>;

/**
 * Who refuses a manifest with this issue: Talos itself (its loader, or its imager for the constraint), only
 * siderolabs/extensions' build check, or nobody (a likely mistake that every tool accepts silently).
 */
export type ManifestRejection = "talos" | "extensions-validator" | "none";

export interface ManifestIssue {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** Dotted key path, e.g. `metadata.name`; "" for the document as a whole. */
  readonly key: string;
  readonly message: string;
  readonly rejectedBy: ManifestRejection;
}

export interface ManifestParse {
  /** Present when Talos' loader accepts the file (an invalid constraint still fails later, in the imager). */
  readonly manifest?: Manifest;
  /** In file order. */
  readonly issues: readonly ManifestIssue[];
}

/** `manifest.yaml:3:9: metadata.name: message` */
export function formatManifestIssue(issue: ManifestIssue): string {
  return `${issue.file}:${issue.line}:${issue.column}: ${issue.key ? `${issue.key}: ` : ""}${issue.message}`;
}

// Version formats siderolabs/extensions-validator accepts for metadata.version.
const VERSION_FORMATS = [
  /^v?(\d+\.\d+\.\d+(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?)$/, // semver
  /^\d{8}(\.\d)?$/, // date: 20210914, 20210914.1
  /^(\d+\.\d+\.\d+)-v(\d+\.\d+\.\d+(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?)(-(\d+)-g([0-9a-f]+)(-dirty)?)?$/, // 535.129.03-v1.8.0
  /^([0-9a-f]+)-v(\d+\.\d+\.\d+(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?)(-(\d+)-g([0-9a-f]+)(-dirty)?)?$/, // 5815ee3-v1.8.0
  /^v?(\d+\.\d+)$/, // 4.3
];

const KNOWN_KEYS: Readonly<Record<string, readonly string[]>> = {
  "": ["version", "metadata"],
  metadata: ["name", "version", "author", "description", "compatibility", "extraInfo"],
  "metadata.compatibility": ["talos"],
  "metadata.compatibility.talos": ["version"],
};

interface Place {
  readonly line: number;
  readonly column: number;
}

type Plain = string | undefined | Plain[] | { [key: string]: Plain };

/** Converts the YAML tree into the values Go would decode, remembering where each key path sits. */
class Decoder {
  /** For each key path: where its key is, and where its value is (the key again when the value is empty). */
  readonly places = new Map<string, { key: Place; value: Place }>();
  readonly unknownKeys: { key: string; place: Place }[] = [];

  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  place(offset: number): Place {
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }

  decode(node: unknown, path: string): Plain {
    // The YAML library has already refused unknown aliases and bounded alias expansion (maxAliasCount).
    const n = isAlias(node) ? node.resolve(this.doc) : node;
    if (isScalar(n)) {
      if (n.value === null) return undefined;
      // Quoted and block scalars are strings already; a plain 1.10 or true keeps its source text.
      return typeof n.value === "string" ? n.value : (n.source ?? String(n.value));
    }
    if (isSeq(n)) return n.items.map((item, i) => this.decode(item, `${path}[${i}]`));
    if (!isMap(n)) return undefined;
    const out: { [key: string]: Plain } = {};
    const known = KNOWN_KEYS[path];
    for (const pair of n.items) {
      const keyNode = isAlias(pair.key) ? pair.key.resolve(this.doc) : pair.key;
      if (!isScalar(keyNode)) continue;
      const key = String(keyNode.source ?? keyNode.value);
      const full = path ? `${path}.${key}` : key;
      const keyPlace = this.place(keyNode.range?.[0] ?? 0);
      const value = pair.value as Node | null;
      const valueStart = value?.range?.[0];
      const empty = isScalar(value) && value.value === null && value.source === "";
      this.places.set(full, {
        key: keyPlace,
        value: valueStart === undefined || empty ? keyPlace : this.place(valueStart),
      });
      if (known !== undefined && !known.includes(key)) this.unknownKeys.push({ key: full, place: keyPlace });
      out[key] = this.decode(value, full);
    }
    return out;
  }

  /** Where a key path's value is; for a missing key, the nearest enclosing key that exists. */
  at(path: string): Place {
    const found = this.places.get(path);
    if (found !== undefined) return found.value;
    for (let p = path; p !== ""; ) {
      p = p.slice(0, Math.max(p.lastIndexOf("."), 0));
      const parent = this.places.get(p);
      if (parent !== undefined) return parent.key;
    }
    return { line: 1, column: 1 };
  }
}

/** What Go's YAML decoder says for a value of the wrong kind. */
function typeMessage(issue: z.core.$ZodIssue): string {
  if (issue.code !== "invalid_type") return issue.message;
  const found = Array.isArray(issue.input) ? "!!seq" : typeof issue.input === "object" ? "!!map" : "!!str";
  return `cannot unmarshal ${found} into ${issue.expected === "object" ? "a mapping" : "a string"}`;
}

type Issue = (place: Place, key: string, message: string, rejectedBy: ManifestRejection) => void;

function collector(file: string): { issues: ManifestIssue[]; issue: Issue } {
  const issues: ManifestIssue[] = [];
  return {
    issues,
    issue: (place, key, message, rejectedBy) =>
      issues.push({ file, line: place.line, column: place.column, key, message, rejectedBy }),
  };
}

/** Parses and checks one manifest; never throws for bad input. */
export function parseManifest(source: string, file: string): ManifestParse {
  const lines = new LineCounter();
  const { issues, issue } = collector(file);

  // Talos decodes only the first document; later ones are never read.
  const docs = parseAllDocuments(source, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const doc = Array.isArray(docs) ? docs[0] : undefined;
  if (doc === undefined) {
    issue({ line: 1, column: 1 }, "", "no YAML document (Talos: EOF)", "talos");
    return { issues };
  }
  if (doc.errors.length > 0) {
    for (const err of doc.errors) {
      const { line, col } = lines.linePos(err.pos[0]);
      issue({ line, column: col }, "", `YAML: ${err.message}`, "talos");
    }
    return { issues };
  }
  const decoder = new Decoder(doc, lines);
  return judge(decoder, decoder.decode(doc.contents, ""), file);
}

/**
 * The manifest an installer keeps of an extension: the `metadata` node of its entry in extensions.yaml (the
 * imager copies it there from the manifest), judged as the manifest `version: v1alpha1` with that metadata.
 * `doc` and `lines` are the parsed extensions.yaml, so issues point into it.
 */
export function parseListedMetadata(doc: Document, lines: LineCounter, metadata: unknown, file: string): ManifestParse {
  const decoder = new Decoder(doc, lines);
  return judge(decoder, { version: "v1alpha1", metadata: decoder.decode(metadata, "metadata") }, file);
}

/** The schema and the imager's and validator's rules over a decoded manifest. */
function judge(decoder: Decoder, plain: Plain, file: string): ManifestParse {
  const { issues, issue } = collector(file);
  const parsed = manifestSchema.safeParse(plain ?? {}, { reportInput: true });
  if (!parsed.success) {
    for (const zi of parsed.error.issues) {
      const key = zi.path.join(".");
      issue(decoder.at(key), key, typeMessage(zi), "talos");
    }
    return { issues: sortIssues(issues) };
  }
  const manifest = parsed.data;
  const meta = manifest.metadata;

  const constraint = meta.compatibility.talos.version;
  if (constraint !== "") {
    try {
      parseRange(trimConstraint(constraint));
    } catch (err) {
      if (!(err instanceof SemverError)) throw err;
      const key = "metadata.compatibility.talos.version";
      issue(decoder.at(key), key, `error parsing Talos version constraint: ${err.message}`, "talos");
    }
  }
  if (meta.name === "") {
    issue(
      decoder.at("metadata.name"),
      "metadata.name",
      "empty: Talos accepts it, but siderolabs/extensions' validator requires the package name here",
      "extensions-validator",
    );
  }
  if (!VERSION_FORMATS.some((re) => re.test(meta.version))) {
    issue(
      decoder.at("metadata.version"),
      "metadata.version",
      `invalid version format ${JSON.stringify(meta.version)}: siderolabs/extensions' validator accepts semver, YYYYMMDD[.N], MAJOR.MINOR, <x.y.z>-v<talos> or <commit>-v<talos>`,
      "extensions-validator",
    );
  }
  for (const { key, place } of decoder.unknownKeys) {
    // A misspelt compatibility key drops the constraint silently, and an empty constraint passes every release.
    const dropsConstraint = constraint === "" && /^metadata\.(compat[^.]*$|compatibility\.)/i.test(key);
    const why = dropsConstraint
      ? "unknown key: Talos ignores it, so compatibility.talos.version is unset and the extension installs on every Talos release"
      : "unknown key: Talos ignores it";
    issue(place, key, why, "none");
  }
  return { manifest, issues: sortIssues(issues) };
}

const sortIssues = (issues: ManifestIssue[]): ManifestIssue[] =>
  issues.sort((a, b) => a.line - b.line || a.column - b.column || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
