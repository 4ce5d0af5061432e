/**
 * The parts of a rendered pkg.yaml (bldr format v1alpha2, siderolabs/bldr internal/pkg/types/v1alpha2) that
 * decide what ends up in the package: its name, its dependencies, the shell of each step, the SBOM a step
 * writes, and the `finalize` copies. Every value keeps its place in the source file.
 */
import type { Document } from "yaml";
import type { Place } from "./source.js";
import { mapEntries, mapGet, nodePlace, scalarText, seqItems, type TextMap, type YamlError } from "./yaml.js";

export interface Located<T> {
  readonly value: T;
  readonly place: Place;
}

export interface PkgDependency {
  readonly stage?: string;
  readonly image?: string;
  /** bldr's `Src()`/`Dest()`: `/` when absent. */
  readonly from: string;
  readonly to: string;
  /** A runtime dependency is not copied into the build. */
  readonly runtime: boolean;
  readonly place: Place;
}

export const PHASES = ["prepare", "build", "install", "test"] as const;
export type Phase = (typeof PHASES)[number];

/** One instruction (one list item) of a step phase. */
export interface Script {
  readonly step: number;
  readonly phase: Phase;
  readonly text: string;
  /** Source place of each line of `text` (0-based index). */
  readonly lines: readonly Place[];
}

export interface PkgFinalize {
  readonly from: string;
  readonly to: string;
  readonly place: Place;
}

export interface PkgDoc {
  readonly name?: Located<string>;
  readonly dependencies: readonly PkgDependency[];
  readonly scripts: readonly Script[];
  /** `sbom.outputPath` of a step: bldr writes the SBOM document there after the step. */
  readonly sboms: readonly (Located<string> & { readonly step: number })[];
  readonly finalize: readonly PkgFinalize[];
  /** Fields of the wrong shape (bldr refuses the file). */
  readonly errors: readonly YamlError[];
}

/** Each line of a literal block scalar sits on its own source line; other scalars map to their start. */
function scriptLines(map: TextMap, node: unknown, text: string): Place[] {
  const n = node as { type?: string; range?: [number, number, number] } | null;
  const start = n?.range?.[0];
  const lineCount = text.split("\n").length;
  if (start === undefined) return Array.from({ length: lineCount }, () => ({ line: 1, column: 1 }));
  if (n?.type !== "BLOCK_LITERAL") return Array.from({ length: lineCount }, () => map.place(start));
  const rendered = map.text;
  let cursor = rendered.indexOf("\n", start) + 1;
  const out: Place[] = [];
  for (let i = 0; i < lineCount; i++) {
    const eol = rendered.indexOf("\n", cursor);
    const raw = rendered.slice(cursor, eol < 0 ? rendered.length : eol);
    const indent = raw.length - raw.trimStart().length;
    out.push(map.place(cursor + indent));
    cursor = eol < 0 ? rendered.length : eol + 1;
  }
  return out;
}

/** Reads the fields bldr acts on; shapes it would refuse become errors, the rest is kept. */
export function readPkg(doc: Document, map: TextMap): PkgDoc {
  const errors: YamlError[] = [];
  const root = doc.contents;
  const str = (node: unknown, what: string): string | undefined => {
    const s = scalarText(doc, node);
    if (s === undefined && node !== null && node !== undefined && seqItems(doc, node) !== undefined) {
      errors.push({ place: nodePlace(map, node), message: `${what}: cannot unmarshal !!seq into a string` });
    } else if (s === undefined && mapEntries(doc, node) !== undefined) {
      errors.push({ place: nodePlace(map, node), message: `${what}: cannot unmarshal !!map into a string` });
    }
    return s;
  };
  if (mapEntries(doc, root) === undefined) {
    errors.push({ place: nodePlace(map, root), message: "pkg.yaml is not a mapping" });
    return { dependencies: [], scripts: [], sboms: [], finalize: [], errors };
  }

  const nameEntry = mapGet(doc, root, "name");
  const nameText = nameEntry ? str(nameEntry.value, "name") : undefined;
  const name = nameText ? { value: nameText, place: nodePlace(map, nameEntry?.value) } : undefined;

  const dependencies: PkgDependency[] = [];
  for (const item of seqItems(doc, mapGet(doc, root, "dependencies")?.value) ?? []) {
    const field = (k: string) => {
      const e = mapGet(doc, item, k);
      return e ? str(e.value, `dependencies.${k}`) : undefined;
    };
    const stage = field("stage");
    const image = field("image");
    dependencies.push({
      ...(stage ? { stage } : {}),
      ...(image ? { image } : {}),
      from: field("from") || "/",
      to: field("to") || "/",
      runtime: field("runtime") === "true",
      place: nodePlace(map, item),
    });
  }

  const scripts: Script[] = [];
  const sboms: (Located<string> & { step: number })[] = [];
  (seqItems(doc, mapGet(doc, root, "steps")?.value) ?? []).forEach((step, index) => {
    for (const phase of PHASES) {
      for (const instr of seqItems(doc, mapGet(doc, step, phase)?.value) ?? []) {
        const text = str(instr, `steps[${index}].${phase}`);
        if (text !== undefined) scripts.push({ step: index, phase, text, lines: scriptLines(map, instr, text) });
      }
    }
    const out = mapGet(doc, mapGet(doc, step, "sbom")?.value, "outputPath");
    const path = out ? str(out.value, "sbom.outputPath") : undefined;
    if (path && out) sboms.push({ value: path, place: nodePlace(map, out.value), step: index });
  });

  const finalize: PkgFinalize[] = [];
  for (const item of seqItems(doc, mapGet(doc, root, "finalize")?.value) ?? []) {
    const from = mapGet(doc, item, "from");
    const to = mapGet(doc, item, "to");
    finalize.push({
      from: (from && str(from.value, "finalize.from")) || "/",
      to: (to && str(to.value, "finalize.to")) || "/",
      place: nodePlace(map, item),
    });
  }
  return { ...(name ? { name } : {}), dependencies, scripts, sboms, finalize, errors };
}
