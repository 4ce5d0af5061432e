import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { formatManifestIssue, type ManifestIssue, parseManifest } from "../../src/talos/manifest.js";

// Real manifests: siderolabs/extensions templates rendered with their vars.yaml values, and the manifests of
// siderolabs/talos' own extension tests; each fixture's first line names its upstream path.
const fixtures = new URL("./fixtures/", import.meta.url);
const read = (name: string) => readFileSync(new URL(name, fixtures), "utf8");
const toolkit = read("nvidia-container-toolkit-production.yaml");

/** 1-based line and column of the first occurrence of `needle`, after `from` when given. */
function pos(text: string, needle: string, from = ""): { line: number; column: number } {
  const at = text.indexOf(needle, from ? text.indexOf(from) : 0);
  if (at < 0) throw new Error(`fixture has no ${JSON.stringify(needle)}`);
  const before = text.slice(0, at);
  return { line: before.split("\n").length, column: at - before.lastIndexOf("\n") };
}

const mutate = (from: string, to: string) => {
  if (!toolkit.includes(from)) throw new Error(`fixture has no ${JSON.stringify(from)}`);
  return toolkit.replace(from, to);
};

const brief = (i: ManifestIssue) => ({ key: i.key, rejectedBy: i.rejectedBy, line: i.line, column: i.column });

describe("parseManifest on real manifests", () => {
  const siderolabs = readdirSync(fixtures).filter((f) => f.endsWith(".yaml") && !f.startsWith("talos-"));

  it("reads every siderolabs/extensions manifest with no issue, as the YAML library sees it", () => {
    expect(siderolabs.length).toBeGreaterThanOrEqual(5);
    for (const name of siderolabs) {
      const source = read(name);
      const { manifest, issues } = parseManifest(source, name);
      expect(issues, name).toEqual([]);
      expect(manifest, name).toEqual(parseYaml(source));
    }
  });

  it("accepts Talos' good test extension, which only siderolabs/extensions' version format refuses", () => {
    const source = read("talos-testdata-good.yaml");
    const { manifest, issues } = parseManifest(source, "manifest.yaml");
    expect(manifest?.metadata.name).toBe("gvisor");
    expect(manifest?.metadata.description).toBe(
      "This system extension provides gVisor using containerd's runtime handler.\n",
    );
    expect(issues.map(brief)).toEqual([
      { key: "metadata.version", rejectedBy: "extensions-validator", ...pos(source, "20220117.0-v1.0.0") },
    ]);
  });

  it("refuses Talos' empty test manifest with Talos' message", () => {
    const { manifest, issues } = parseManifest(read("talos-testdata-emptymanifest.yaml"), "manifest.yaml");
    expect(manifest).toBeUndefined();
    expect(issues.map((i) => [i.key, i.message, i.rejectedBy])).toEqual([
      ["version", 'unsupported manifest version: ""', "talos"],
    ]);
  });
});

describe("parseManifest faults, each on a copy of the toolkit manifest", () => {
  it("names file, line and column of the offending value", () => {
    const source = mutate("version: v1alpha1", "version: v1alpha2");
    const { manifest, issues } = parseManifest(source, "manifest.yaml");
    expect(manifest).toBeUndefined();
    const where = pos(source, "v1alpha2");
    expect(issues.map(formatManifestIssue)).toEqual([
      `manifest.yaml:${where.line}:${where.column}: version: unsupported manifest version: "v1alpha2"`,
    ]);
  });

  it("refuses a mapping or a sequence where Talos expects a string or a mapping", () => {
    const asMap = mutate("name: nvidia-container-toolkit-production", "name: { a: b }");
    expect(parseManifest(asMap, "m").issues.map((i) => [i.key, i.message, i.rejectedBy])).toEqual([
      ["metadata.name", "cannot unmarshal !!map into a string", "talos"],
    ]);
    const asSeq = mutate('  compatibility:\n    talos:\n      version: ">= v1.2.0"', "  compatibility: [1]");
    const seqIssues = parseManifest(asSeq, "m").issues;
    expect(seqIssues.map(brief)).toEqual([
      { key: "metadata.compatibility", rejectedBy: "talos", ...pos(asSeq, "[1]") },
    ]);
    expect(seqIssues[0]?.message).toBe("cannot unmarshal !!seq into a mapping");
  });

  it("reads any scalar as its text and null as empty, as Go's decoder does", () => {
    const source = mutate('version: "595.91.07-v1.19.1"', "version: 1.10");
    const { manifest, issues } = parseManifest(source, "m");
    expect(manifest?.metadata.version).toBe("1.10");
    expect(issues).toEqual([]);
    const nulled = parseManifest(mutate("author: Sidero Labs", "author: ~"), "m");
    expect(nulled.manifest?.metadata.author).toBe("");
    expect(nulled.issues).toEqual([]);
  });

  it("points a missing name at the metadata key and marks it as siderolabs/extensions' rule", () => {
    const source = mutate("  name: nvidia-container-toolkit-production\n", "");
    const { manifest, issues } = parseManifest(source, "m");
    expect(manifest?.metadata.name).toBe("");
    expect(issues.map(brief)).toEqual([
      { key: "metadata.name", rejectedBy: "extensions-validator", ...pos(source, "metadata:") },
    ]);
  });

  it("refuses a constraint blang/semver cannot parse, at the constraint", () => {
    const source = mutate('">= v1.2.0"', '"~> v1.2"');
    const { manifest, issues } = parseManifest(source, "m");
    expect(manifest).toBeDefined();
    expect(issues.map(brief)).toEqual([
      { key: "metadata.compatibility.talos.version", rejectedBy: "talos", ...pos(source, '"~> v1.2"') },
    ]);
    expect(issues[0]?.message).toMatch(/^error parsing Talos version constraint: /);
  });

  it("flags unknown keys, which Talos drops silently", () => {
    const source = mutate("  compatibility:", "  compatability:");
    const { manifest, issues } = parseManifest(source, "m");
    expect(manifest?.metadata.compatibility.talos.version).toBe("");
    expect(issues.map(brief)).toEqual([
      { key: "metadata.compatability", rejectedBy: "none", ...pos(source, "compatability") },
    ]);
  });

  it("refuses duplicate keys and broken YAML at the place of the fault", () => {
    const dup = mutate("  author: Sidero Labs", "  author: Sidero Labs\n  author: Someone");
    const dupIssues = parseManifest(dup, "m").issues;
    expect(dupIssues.map((i) => [i.rejectedBy, i.line])).toEqual([["talos", pos(dup, "author: Someone").line]]);
    const broken = mutate("  author: Sidero Labs", "  author: [Sidero Labs");
    const brokenIssues = parseManifest(broken, "m").issues;
    expect(brokenIssues.length).toBeGreaterThan(0);
    expect(brokenIssues.every((i) => i.rejectedBy === "talos" && i.message.startsWith("YAML: "))).toBe(true);
  });

  it("reads only the first document, as Talos' decoder does", () => {
    const { manifest, issues } = parseManifest(`${toolkit}---\nversion: nonsense: [\n`, "m");
    expect(manifest?.metadata.name).toBe("nvidia-container-toolkit-production");
    expect(issues).toEqual([]);
  });

  it("refuses an empty file and a document that is not a mapping", () => {
    expect(parseManifest("", "m").issues.map((i) => i.message)).toEqual(["no YAML document (Talos: EOF)"]);
    expect(parseManifest("# only a comment\n", "m").issues).toHaveLength(1);
    expect(parseManifest("hello\n", "m").issues.map((i) => [i.key, i.message])).toEqual([
      ["", "cannot unmarshal !!str into a mapping"],
    ]);
  });
});
