/**
 * The variables bldr puts in scope for a package (siderolabs/bldr internal/pkg/solver, loaders and
 * `resolveContext`): its built-in environment for the target platform, the build arguments as `BUILD_ARG_*`,
 * the Pkgfile's `vars`, then every `vars.yaml` from the repository root down to the package's directory,
 * deeper files overriding. Each `vars.yaml` is itself a template, rendered with the variables of the
 * directories above it, then decoded as a map of strings.
 */
import type { Document } from "yaml";
import type { Place } from "./source.js";
import { renderTemplate, type TemplateResult } from "./template.js";
import { kindName, mapEntries, nodePlace, parseYaml, scalarText, TextMap, type YamlError } from "./yaml.js";

export interface VarDef {
  readonly value: string;
  /** Where it is defined: a repository file, or a description of where bldr or the build takes it from. */
  readonly origin: string;
  readonly place?: Place;
}

/** Variable lookup for templates; `has` is what the undefined-variable check asks. */
export interface Scope {
  get(name: string): string | undefined;
  def(name: string): VarDef | undefined;
}

export class VarScope implements Scope {
  private readonly defs: Map<string, VarDef>;

  constructor(defs: Iterable<[string, VarDef]> = []) {
    this.defs = new Map(defs);
  }

  get(name: string): string | undefined {
    return this.defs.get(name)?.value;
  }

  def(name: string): VarDef | undefined {
    return this.defs.get(name);
  }

  with(more: Iterable<[string, VarDef]>): VarScope {
    return new VarScope([...this.defs, ...more]);
  }

  entries(): IterableIterator<[string, VarDef]> {
    return this.defs.entries();
  }
}

/** bldr's environment for linux/amd64 (internal/pkg/environment: default.go and platform.go). */
export const BLDR_ENVIRONMENT: Readonly<Record<string, string>> = {
  LDFLAGS: "-s",
  VENDOR: "talos",
  SYSROOT: "/talos",
  PATH: "/bin:/usr/bin:/sbin:/usr/sbin",
  BUILD: "x86_64-linux-musl",
  HOST: "x86_64-linux-musl",
  ARCH: "x86_64",
  TARGET: "x86_64-talos-linux-musl",
  CFLAGS: "-O2 -g0 -march=x86-64-v2 -mtune=generic",
  CXXFLAGS: "-O2 -g0 -march=x86-64-v2 -mtune=generic",
};

/** A rendered and decoded vars.yaml. */
export interface VarsFile {
  readonly file: string;
  readonly map: TextMap;
  readonly template: TemplateResult;
  /** The scope it was rendered with (for the undefined-variable check). */
  readonly scope: Scope;
  readonly vars: ReadonlyMap<string, VarDef>;
  /** Malformed YAML, or a value go-yaml cannot decode into a string. */
  readonly errors: readonly YamlError[];
}

/** Renders and decodes one vars.yaml with the scope of the directories above it. */
export function loadVarsFile(file: string, source: string, scope: Scope): VarsFile {
  const template = renderTemplate(source, scope);
  if (template.rendered === undefined) {
    return { file, map: new TextMap(file, source), template, scope, vars: new Map(), errors: [] };
  }
  const map = new TextMap(file, source, template.rendered);
  const parsed = parseYaml(map);
  if ("errors" in parsed) return { file, map, template, scope, vars: new Map(), errors: parsed.errors };
  return { file, map, template, scope, ...decodeStringMap(parsed.doc, parsed.doc.contents, map, file) };
}

/** A YAML mapping decoded into Go's map[string]string, with each key's place. */
export function decodeStringMap(
  doc: Document,
  node: unknown,
  map: TextMap,
  origin: string,
): { vars: Map<string, VarDef>; errors: YamlError[] } {
  const vars = new Map<string, VarDef>();
  const errors: YamlError[] = [];
  if (node === null || node === undefined) return { vars, errors };
  const entries = mapEntries(doc, node);
  if (entries === undefined) {
    const place = nodePlace(map, node);
    errors.push({ place, message: `cannot unmarshal ${kindName(doc, node)} into a map of variables` });
    return { vars, errors };
  }
  for (const e of entries) {
    const place = nodePlace(map, e.keyNode);
    const kind = kindName(doc, e.value);
    if (kind !== "!!str") {
      errors.push({ place, message: `${e.key}: cannot unmarshal ${kind} into a string` });
      continue;
    }
    vars.set(e.key, { value: scalarText(doc, e.value) ?? "", origin, place });
  }
  return { vars, errors };
}
