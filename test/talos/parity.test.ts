/**
 * One test per row of docs/parity.md, each against the rule's behaviour in its source: siderolabs/talos
 * pkg/machinery/extensions (load.go, validate.go) and services, siderolabs/extensions-validator
 * cmd/extensions-validator/cmd/validate.go, go-tools cmd/extensions-duplicate-finder/cmd/validate.go.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { patternMatches } from "../../src/repo/checks/utils/exceptions.js";
import { checkExtensionLayout } from "../../src/talos/layout.js";
import { type ManifestRejection, parseManifest } from "../../src/talos/manifest.js";
import { checkCompatibility, checkExtensionTree, type TreeEntry, talosRules } from "../../src/talos/rules.js";
import { parseServiceSpec } from "../../src/talos/service.js";

const DOC = readFileSync(join(import.meta.dirname, "../../docs/parity.md"), "utf8");
const ROWS = [...DOC.matchAll(/^\| (P\d+) +\|/gm)].map((m) => m[1] as string);

const manifest = (meta: string, version = "v1alpha1") => `version: ${version}\nmetadata:\n${meta}`;
const META = '  name: x\n  version: "1.0.0"\n  author: a\n  description: d\n';
const rejections = (src: string): ManifestRejection[] =>
  parseManifest(src, "manifest.yaml").issues.map((i) => i.rejectedBy);
const file = (path: string, mode = 0o644, type: TreeEntry["type"] = "file"): TreeEntry => ({ path, type, mode });
const rules = (entries: TreeEntry[], talos = "v1.13.0") => checkExtensionTree(entries, talos).map((v) => v.rule);
const service = (restart: string, extra = "") =>
  `name: svc\ncontainer:\n  entrypoint: /bin/svc\nrestart: ${restart}\n${extra}`;

const tests: Record<string, () => void> = {
  P1: () => {
    expect(checkExtensionLayout(["manifest.yaml", "rootfs"])).toEqual([]);
    expect(checkExtensionLayout(["rootfs", "manifest.yaml", "README"])).toEqual(['unexpected file "README"']);
    expect(checkExtensionLayout(["rootfs"])).toEqual(["extension manifest is missing"]);
    expect(checkExtensionLayout(["manifest.yaml"])).toEqual(["extension rootfs is missing"]);
  },
  P2: () => {
    expect(rejections(manifest(META))).toEqual([]);
    const issues = parseManifest(manifest(META, "v1alpha2"), "m").issues;
    expect(issues.map((i) => [i.rejectedBy, i.message])).toEqual([
      ["talos", 'unsupported manifest version: "v1alpha2"'],
    ]);
  },
  P3: () => {
    // go-yaml drops the misspelt key: the constraint vanishes and every release passes.
    const src = manifest(`${META}  compatability:\n    talos:\n      version: ">= v1.13.0"\n`);
    const issues = parseManifest(src, "m").issues;
    expect(issues.map((i) => i.rejectedBy)).toEqual(["none"]);
    expect(issues[0]?.message).toMatch(/installs on every Talos release/);
    expect(parseManifest(src, "m").manifest?.metadata.compatibility.talos.version).toBe("");
    // Plain scalars keep their text, and only the first document is read.
    expect(parseManifest(manifest(META.replace('"1.0.0"', "1.10")), "m").manifest?.metadata.version).toBe("1.10");
    expect(rejections(`${manifest(META)}---\nversion: v9\n`)).toEqual([]);
  },
  P4: () => {
    expect(
      rules([file("/usr/local/a"), file("/usr/local/l", 0o777, "symlink"), file("/usr/local/h", 0o644, "hardlink")]),
    ).toEqual([]);
    expect(rules([file("/usr/local/fifo", 0o644, "fifo")])).toEqual(["special-file"]);
    expect(rules([file("/usr/local/dev", 0o600, "char")])).toEqual(["special-file"]);
  },
  P5: () => {
    // Reported so that verify can warn (TE5006); symlinks' 0777 is no finding.
    expect(rules([file("/usr/local/w", 0o666)])).toEqual(["world-writable"]);
    expect(rules([file("/usr/local/l", 0o777, "symlink")])).toEqual([]);
  },
  P6: () => {
    expect(rules([file("/usr/localx/evil")])).toEqual([]);
    expect(rules([file("/etc/modprobe.d/x.conf")])).toEqual(["allowed-path"]);
    expect(rules([file("/lib/modules/6.18.1/x.ko")])).toEqual(["allowed-path"]);
    expect(rules([file("/usr/lib/modules/6.18.1/x.ko")])).toEqual([]);
  },
  P7: () => {
    expect(talosRules("v1.2.0-alpha.1").matchParentDir).toBe(true);
    expect(talosRules("v1.2.0-alpha.2").matchParentDir).toBe(false);
    // The loader itself is allowed from v1.2.0-alpha.1 on, but its parent /lib64 is not: refused until alpha.2.
    expect(rules([file("/lib64/ld-linux-x86-64.so.2")], "v1.2.0-alpha.1")).toEqual(["allowed-path"]);
  },
  P8: () => {
    // The manifest's name is what the validator compares with --pkg-name; an empty one never matches.
    const issues = parseManifest(manifest(META.replace("name: x", "name:")), "m").issues;
    expect(issues.map((i) => [i.key, i.rejectedBy])).toEqual([["metadata.name", "extensions-validator"]]);
  },
  P9: () => {
    const ok = [
      "20260310.12",
      "1.2.3",
      "v1.2.3-rc.1",
      "20260310",
      "20260310.1",
      "535.129.03-v1.8.0-alpha.0-10-g336fa0f-dirty",
      "5815ee3-v1.8.0",
      "4.3",
      "v4.3",
    ];
    // 20260310.12 passes as X.Y; the date pattern takes one digit after its dot.
    const bad = ["20260310-amd", "2026-03-10", "1", "v1.2.3.4", "<no value>", ""];
    for (const v of ok) expect(rejections(manifest(META.replace('"1.0.0"', JSON.stringify(v)))), v).toEqual([]);
    for (const v of bad) {
      expect(rejections(manifest(META.replace('"1.0.0"', JSON.stringify(v)))), v).toEqual(["extensions-validator"]);
    }
  },
  P10: () => {
    const constraint = (c: string) =>
      rejections(manifest(`${META}  compatibility:\n    talos:\n      version: "${c}"\n`));
    expect(constraint(">= v1.13.0")).toEqual([]);
    // blang joins with a space (and) or || (or); a comma is no part of its syntax.
    expect(constraint(">=v1.9.0 <v1.14.0")).toEqual([]);
    expect(constraint(">= v1.9.0, < v1.14.0")).toEqual(["talos"]);
    expect(constraint("~1.13.0")).toEqual(["talos"]);
    expect(constraint("^1.13.0")).toEqual(["talos"]);
  },
  P11: () => {
    expect(checkCompatibility(">= v1.13.0", "v1.13.0-beta.1").status).toBe("compatible");
    expect(checkCompatibility(">= v1.14.0", "v1.13.0").status).toBe("incompatible");
    expect(checkCompatibility("", "v1.13.0").status).toBe("compatible");
  },
  P12: () => {
    expect(checkCompatibility(">= 1.4.0", "v1.5.0").status).toBe("not-evaluated");
    expect(talosRules("v1.6.0-alpha.0").constraintLibrary).toBe("blang/semver/v4");
  },
  P13: () => {
    expect(parseServiceSpec(service("untilSuccess"), "s", "v1.13.0").spec?.restart).toBe("untilSuccess");
    expect(parseServiceSpec(service("Always"), "s", "v1.13.0").spec?.restart).toBe("always");
    expect(parseServiceSpec(service("on-failure"), "s", "v1.13.0").issues[0]?.message).toMatch(
      /on-failure does not belong to RestartKind values/,
    );
    const twoKinds = parseServiceSpec(
      service("never", "depends:\n  - path: /dev/x\n    service: cri\n"),
      "s",
      "v1.13.0",
    );
    expect(twoKinds.issues.map((i) => i.message)).toEqual(["more than a single dependency is set"]);
    const relative = parseServiceSpec(service("never", "depends:\n  - path: dev/x\n"), "s", "v1.13.0");
    expect(relative.issues.map((i) => i.message)).toEqual(['path is not absolute: "dev/x"']);
  },
  P14: () => {
    const spec = service("never", "depends:\n  - configuration: true\n");
    expect(parseServiceSpec(spec, "s", "v1.7.0-alpha.1").spec?.depends).toEqual([{ configuration: true }]);
    // Before, the key is ignored and the dependency names nothing.
    expect(parseServiceSpec(spec, "s", "v1.6.0").issues.map((i) => i.message)).toEqual(["no dependency specified"]);
  },
  P15: () => {
    expect(
      patternMatches(
        "rootfs/usr/lib/modules/*/kernel/sound/soundcore.ko",
        "rootfs/usr/lib/modules/6.18.1-talos/kernel/sound/soundcore.ko",
      ),
    ).toBe(true);
    expect(patternMatches("rootfs/etc/ld.so.conf", "rootfs/etc/ld.so.cache")).toBe(false);
  },
};

describe("parity with Talos' rules (docs/parity.md)", () => {
  it("has a test for every row and a row for every test", () => {
    expect(ROWS).toEqual(Object.keys(tests));
  });
  it.each(Object.entries(tests))("%s", (_, test) => test());
});
