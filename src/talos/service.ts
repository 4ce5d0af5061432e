/**
 * An extension service spec (`/usr/local/etc/containers/<file>.yaml`) as machined reads it
 * (internal/app/machined/pkg/controllers/runtime/extension_service.go): each `.yaml` file is decoded by go-yaml
 * into services.Spec (pkg/machinery/extensions/services), then Spec.Validate runs. A file that fails either, or
 * repeats a name already loaded, is logged and skipped: that service never starts, and nothing else says so.
 *
 * go-yaml ignores unknown keys, turns any scalar into a string field's text, accepts YAML 1.1 booleans (yes, on)
 * for a bool field, and fails on a mapping or sequence where a scalar belongs. `restart` and `network` are
 * enums matched case-insensitively. Only the fields Validate reads are modelled; the `configuration`
 * dependency exists from v1.7.0-alpha.1 (commit 1e6c8c4de), and before that the key is ignored.
 */
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import { compareSemver, parseSemverTolerant } from "./semver.js";

export interface ServiceDependency {
  readonly service?: string;
  readonly path?: string;
  readonly network?: readonly string[];
  readonly time?: boolean;
  readonly configuration?: boolean;
}

export interface ServiceSpec {
  readonly name: string;
  /** Relative to the container rootfs, /usr/local/lib/containers/<name>. */
  readonly entrypoint: string;
  readonly restart: "always" | "never" | "untilSuccess";
  readonly depends: readonly ServiceDependency[];
}

export interface ServiceIssue {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** Dotted key path (`depends[0].path`); "" for the document. */
  readonly key: string;
  readonly message: string;
}

export interface ServiceParse {
  /** Present when machined would start the service (decoded and valid). */
  readonly spec?: ServiceSpec;
  readonly issues: readonly ServiceIssue[];
}

const NAME = /^[-_a-z0-9]{1,}$/;
const RESTART: Record<string, ServiceSpec["restart"]> = {
  always: "always",
  never: "never",
  untilsuccess: "untilSuccess",
};
const NETWORK = new Set(["addresses", "connectivity", "hostname", "etcfiles"]);
const TRUE = new Set(["true", "True", "TRUE", "y", "Y", "yes", "Yes", "YES", "on", "On", "ON"]);
const FALSE = new Set(["false", "False", "FALSE", "n", "N", "no", "No", "NO", "off", "Off", "OFF"]);
const CONFIGURATION_SINCE = parseSemverTolerant("v1.7.0-alpha.1");

class DecodeError extends Error {
  constructor(
    readonly node: Node | undefined,
    readonly key: string,
    message: string,
  ) {
    super(message);
  }
}

/** A mapping's scalar-keyed entries; null or absent is empty, anything else fails as go-yaml does. */
function entries(node: unknown, key: string, into: string): Map<string, Node | undefined> {
  const out = new Map<string, Node | undefined>();
  if (node === undefined || node === null || (isScalar(node) && node.value === null)) return out;
  if (!isMap(node)) throw new DecodeError(node as Node, key, `cannot unmarshal ${kind(node)} into ${into}`);
  for (const pair of node.items) {
    if (isScalar(pair.key)) out.set(String(pair.key.value), (pair.value ?? undefined) as Node | undefined);
  }
  return out;
}

const kind = (node: unknown): string => (isMap(node) ? "a mapping" : isSeq(node) ? "a sequence" : "a scalar");

function scalar(node: Node | undefined, key: string): string {
  if (node === undefined || (isScalar(node) && node.value === null)) return "";
  if (!isScalar(node)) throw new DecodeError(node, key, `cannot unmarshal ${kind(node)} into a string`);
  return typeof node.value === "string" ? node.value : (node.source ?? String(node.value));
}

function bool(node: Node | undefined, key: string): boolean {
  const s = scalar(node, key);
  if (s === "" || FALSE.has(s)) return false;
  if (TRUE.has(s)) return true;
  throw new DecodeError(node, key, `cannot unmarshal ${JSON.stringify(s)} into a bool`);
}

function list(node: Node | undefined, key: string): { node: Node | undefined; key: string }[] {
  if (node === undefined || (isScalar(node) && node.value === null)) return [];
  if (!isSeq(node)) throw new DecodeError(node, key, `cannot unmarshal ${kind(node)} into a list`);
  return node.items.map((item, i) => ({ node: (item ?? undefined) as Node | undefined, key: `${key}[${i}]` }));
}

function dependency(node: Node | undefined, key: string, withConfiguration: boolean) {
  const m = entries(node, key, "a dependency");
  const network = list(m.get("network"), `${key}.network`).map((n) => {
    const s = scalar(n.node, n.key);
    if (!NETWORK.has(s.toLowerCase())) throw new DecodeError(n.node, n.key, `${s} does not belong to Status values`);
    return s.toLowerCase();
  });
  return {
    node,
    key,
    dep: {
      service: scalar(m.get("service"), `${key}.service`),
      path: scalar(m.get("path"), `${key}.path`),
      network,
      time: bool(m.get("time"), `${key}.time`),
      configuration: withConfiguration && bool(m.get("configuration"), `${key}.configuration`),
    },
  };
}

/**
 * Decodes and validates one spec as machined of `talosVersion` does; without a version, as the newest release
 * does (the imager's quirks assume the same of a version they cannot parse).
 */
export function parseServiceSpec(source: string, file: string, talosVersion?: string): ServiceParse {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false });
  const at = (node: Node | undefined, key: string, message: string): ServiceIssue => {
    const { line, col } = lines.linePos(node?.range?.[0] ?? 0);
    return { file, line, column: col, key, message };
  };
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const { line, col } = lines.linePos(e?.pos[0] ?? 0);
    return { issues: [{ file, line, column: col, key: "", message: e?.message ?? "invalid YAML" }] };
  }
  const withConfiguration =
    talosVersion === undefined || compareSemver(parseSemverTolerant(talosVersion), CONFIGURATION_SINCE) >= 0;
  let decoded: ReturnType<typeof decode>;
  try {
    decoded = decode(doc.contents ?? undefined, withConfiguration);
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    return { issues: [at(err.node, err.key, `error unmarshalling extension service config: ${err.message}`)] };
  }
  const issues: ServiceIssue[] = [];
  const { name, entrypoint, restart, depends } = decoded;
  if (!NAME.test(name.value)) issues.push(at(name.node, "name", `name ${JSON.stringify(name.value)} is invalid`));
  if (restart.value === undefined) issues.push(at(restart.node, "restart", "restart kind is invalid: RestartKind(0)"));
  if (entrypoint.value === "") {
    issues.push(at(entrypoint.node, "container.entrypoint", "container endpoint can't be empty"));
  }
  for (const { node, key, dep } of depends) {
    if (dep.path !== "" && !dep.path.startsWith("/")) {
      issues.push(at(node, `${key}.path`, `path is not absolute: ${JSON.stringify(dep.path)}`));
    }
    const set = [dep.service !== "", dep.path !== "", dep.network.length > 0, dep.time, dep.configuration];
    const count = set.filter(Boolean).length;
    if (count === 0) issues.push(at(node, key, "no dependency specified"));
    if (count > 1) issues.push(at(node, key, "more than a single dependency is set"));
  }
  if (issues.length > 0 || restart.value === undefined) return { issues };
  const spec: ServiceSpec = {
    name: name.value,
    entrypoint: entrypoint.value,
    restart: restart.value,
    depends: depends.map(({ dep }) => ({
      ...(dep.service !== "" ? { service: dep.service } : {}),
      ...(dep.path !== "" ? { path: dep.path } : {}),
      ...(dep.network.length > 0 ? { network: dep.network } : {}),
      ...(dep.time ? { time: true } : {}),
      ...(dep.configuration ? { configuration: true } : {}),
    })),
  };
  return { spec, issues };
}

function decode(root: Node | undefined, withConfiguration: boolean) {
  const top = entries(root, "", "services.Spec");
  const container = entries(top.get("container"), "container", "services.Container");
  const restartText = scalar(top.get("restart"), "restart");
  const restart = restartText === "" ? undefined : RESTART[restartText.toLowerCase()];
  if (restartText !== "" && restart === undefined) {
    throw new DecodeError(top.get("restart"), "restart", `${restartText} does not belong to RestartKind values`);
  }
  return {
    name: { node: top.get("name") ?? root, value: scalar(top.get("name"), "name") },
    entrypoint: {
      node: container.get("entrypoint") ?? top.get("container") ?? root,
      value: scalar(container.get("entrypoint"), "container.entrypoint"),
    },
    restart: { node: top.get("restart") ?? root, value: restart },
    depends: list(top.get("depends"), "depends").map((d) => dependency(d.node, d.key, withConfiguration)),
  };
}
