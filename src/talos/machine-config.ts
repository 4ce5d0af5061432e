/**
 * The part of a Talos machine configuration that loads kernel modules: `machine.kernel.modules` of the
 * v1alpha1 document (pkg/machinery/config/types/v1alpha1: KernelModuleConfig with `name` and `parameters`).
 * A configuration file is multi-document YAML; the v1alpha1 document is the one without `kind` (the others are
 * `apiVersion`/`kind` documents). machined loads each listed module with its parameters joined by spaces
 * (internal/app/machined/pkg/controllers/runtime/kernel_module_spec.go).
 */
import { isMap, isScalar, isSeq, LineCounter, type Node, parseAllDocuments } from "yaml";

export interface Located {
  readonly value: string;
  readonly line: number;
  readonly column: number;
}

export interface KernelModuleConfig {
  readonly name: Located;
  /** `NAME[=VALUE]` each, as written. */
  readonly parameters: readonly Located[];
}

export interface MachineConfig {
  readonly file: string;
  readonly modules: readonly KernelModuleConfig[];
}

export class MachineConfigError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
  }
}

const get = (node: unknown, key: string): unknown =>
  isMap(node) ? node.items.find((p) => isScalar(p.key) && p.key.value === key)?.value : undefined;

/** Reads the v1alpha1 document's kernel modules; throws MachineConfigError for YAML that does not parse. */
export function parseMachineConfig(text: string, file: string): MachineConfig {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false });
  const located = (node: Node): Located => {
    const { line, col } = lines.linePos(node.range?.[0] ?? 0);
    return { value: isScalar(node) ? String(node.value ?? "") : "", line, column: col };
  };
  const modules: KernelModuleConfig[] = [];
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    if (doc.errors.length > 0) throw new MachineConfigError(file, doc.errors[0]?.message ?? "malformed YAML");
    if (get(doc.contents, "kind") !== undefined) continue;
    const list = get(get(get(doc.contents, "machine"), "kernel"), "modules");
    for (const item of isSeq(list) ? list.items : []) {
      const name = get(item, "name");
      if (!isScalar(name)) continue;
      const params = get(item, "parameters");
      modules.push({
        name: located(name),
        parameters: (isSeq(params) ? params.items : []).filter(isScalar).map((p) => located(p)),
      });
    }
  }
  return { file, modules };
}
