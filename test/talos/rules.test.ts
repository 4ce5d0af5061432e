import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { EntryType } from "../../src/io/entry.js";
import {
  checkCompatibility,
  checkExtensionTree,
  type TreeEntry,
  talosRules,
  trimConstraint,
} from "../../src/talos/rules.js";
import { SemverError } from "../../src/talos/semver.js";

// Expected lists and messages are those of siderolabs/talos at the named tags
// (pkg/machinery/extensions/extensions.go, validate.go and extensions_test.go).

const file = (path: string, mode = 0o644): TreeEntry => ({ path, type: "file", mode });
const dir = (path: string): TreeEntry => ({ path, type: "dir", mode: 0o755 });

describe("talosRules", () => {
  it("takes the AllowedPaths list of the release, pre-releases included", () => {
    const beta = talosRules("v1.13.0-beta.1").allowedPaths;
    expect(beta).not.toContain("/etc/ld.so.cache");
    expect(beta).toContain("/usr/lib/ld-linux-aarch64.so.1");
    for (const v of ["v1.13.0-rc.0", "v1.13.0", "1.13.4", "v1.14.0-beta.1"]) {
      expect(talosRules(v).allowedPaths, v).toContain("/etc/ld.so.cache");
      expect(talosRules(v).allowedPaths, v).toContain("/usr/bin/nvidia-smi");
      expect(talosRules(v).allowedPathsSince, v).toBe("v1.13.0-rc.0");
    }
    expect(talosRules("v1.10.0").allowedPaths).toContain("/usr/lib/modules");
    expect(talosRules("v1.10.0").allowedPaths).not.toContain("/lib/modules");
    expect(talosRules("v1.10.0-alpha.1").allowedPaths).toContain("/lib/modules");
    expect(talosRules("v1.9.0-alpha.0").allowedPaths).toContain("/usr/etc/udev/rules.d");
    expect(talosRules("v1.9.0").allowedPaths).toContain("/usr/lib/udev/rules.d");
    expect(talosRules("v1.4.8").allowedPaths).not.toContain("/usr/share/glvnd");
    expect(talosRules("v1.1.2").allowedPaths).toEqual([
      "/etc/cri/conf.d",
      "/lib/firmware",
      "/usr/etc/udev/rules.d",
      "/usr/local",
    ]);
  });

  it("says which releases run the contents walk in the imager and which constraint library they use", () => {
    expect(talosRules("v1.9.0-alpha.2").imagerChecksContents).toBe(true);
    expect(talosRules("v1.9.0-alpha.3").imagerChecksContents).toBe(false);
    expect(talosRules("v1.5.6").constraintLibrary).toBe("hashicorp/go-version");
    expect(talosRules("v1.6.0-alpha.0").constraintLibrary).toBe("blang/semver/v4");
    expect(talosRules("v1.2.0-alpha.1").matchParentDir).toBe(true);
    expect(talosRules("v1.2.0-alpha.2").matchParentDir).toBe(false);
  });

  it("refuses versions it cannot read and releases it does not model", () => {
    expect(() => talosRules("latest")).toThrow(SemverError);
    expect(() => talosRules("v1.0.6")).toThrow(RangeError);
  });
});

describe("checkExtensionTree on upstream's test extensions", () => {
  it("accepts testdata/good/extension1", () => {
    const tree = [
      dir("/usr"),
      dir("/usr/lib"),
      dir("/usr/lib/firmware"),
      dir("/usr/lib/firmware/amd"),
      file("/usr/lib/firmware/amd/cpu"),
      file("/usr/lib/ld-linux-x86-64.so.2"),
      dir("/usr/local"),
      dir("/usr/local/lib"),
      file("/usr/local/lib/a.so"),
      file("/usr/local/lib/a.so.1"),
    ];
    expect(checkExtensionTree(tree, "v1.14.0")).toEqual([]);
  });

  it("refuses testdata/bad/badpaths and testdata/bad/usrmerge with upstream's messages", () => {
    expect(checkExtensionTree([dir("/boot"), file("/boot/vmlinuz")], "v1.14.0")).toEqual([
      { path: "/boot/vmlinuz", rule: "allowed-path", message: 'path "/boot/vmlinuz" is not allowed in extensions' },
    ]);
    expect(checkExtensionTree([file("/usr/lib64/a.so")], "v1.14.0")).toEqual([
      { path: "/usr/lib64/a.so", rule: "allowed-path", message: 'path "/usr/lib64/a.so" is not allowed in extensions' },
    ]);
  });
});

describe("checkExtensionTree rules", () => {
  it("follows the /usr merge: /lib/modules is allowed before v1.10.0-alpha.2, /usr/lib/modules after", () => {
    const tree = [file("/lib/modules/6.1.0/extra/nvidia.ko"), file("/usr/lib/modules/6.12.0/extra/nvidia.ko")];
    expect(checkExtensionTree(tree, "v1.9.6").map((v) => v.path)).toEqual(["/usr/lib/modules/6.12.0/extra/nvidia.ko"]);
    expect(checkExtensionTree(tree, "v1.10.0").map((v) => v.path)).toEqual(["/lib/modules/6.1.0/extra/nvidia.ko"]);
  });

  it("allows /etc/ld.so.cache from v1.13.0-rc.0 only", () => {
    expect(checkExtensionTree([file("/etc/ld.so.cache")], "v1.13.0-beta.1")).toHaveLength(1);
    expect(checkExtensionTree([file("/etc/ld.so.cache")], "v1.13.0")).toEqual([]);
  });

  it("compares plain string prefixes, as Talos does", () => {
    expect(checkExtensionTree([file("/usr/localx/bin/tool"), file("/etc/ld.so.cache~")], "v1.13.0")).toEqual([]);
  });

  it("matched a file's parent directory before v1.2.0-alpha.2, so a root naming a file could not match", () => {
    const loader = [file("/lib64/ld-linux-x86-64.so.2")];
    expect(checkExtensionTree(loader, "v1.2.0-alpha.1").map((v) => v.rule)).toEqual(["allowed-path"]);
    expect(checkExtensionTree(loader, "v1.2.0-alpha.2")).toEqual([]);
  });

  it("checks symlinks against the allowed roots like files, and never as world-writable", () => {
    const link: TreeEntry = { path: "/usr/bin/tool", type: "symlink", mode: 0o777 };
    expect(checkExtensionTree([link], "v1.13.0")).toEqual([
      { path: "/usr/bin/tool", rule: "allowed-path", message: 'path "/usr/bin/tool" is not allowed in extensions' },
    ]);
    expect(checkExtensionTree([{ ...link, path: "/usr/local/bin/tool" }], "v1.13.0")).toEqual([]);
  });

  it("refuses special files, reported once, and world-writable entries, directories included", () => {
    const specials: [EntryType, string][] = [
      ["char", "char-device"],
      ["block", "block-device"],
      ["fifo", "fifo"],
      ["socket", "socket"],
    ];
    for (const [type, kind] of specials) {
      expect(checkExtensionTree([{ path: "/dev/x", type, mode: 0o600 }], "v1.13.0")).toEqual([
        { path: "/dev/x", rule: "special-file", message: `special files are not allowed: "/dev/x" (${kind})` },
      ]);
    }
    expect(checkExtensionTree([dir("/usr/local"), { ...dir("/usr/local/tmp"), mode: 0o1777 }], "v1.13.0")).toEqual([
      {
        path: "/usr/local/tmp",
        rule: "world-writable",
        message: 'world-writeable files are not allowed: "/usr/local/tmp"',
      },
    ]);
  });

  it("sorts by path and rejects relative paths", () => {
    const out = checkExtensionTree([file("/z"), file("/a"), file("/m")], "v1.13.0");
    expect(out.map((v) => v.path)).toEqual(["/a", "/m", "/z"]);
    expect(() => checkExtensionTree([file("usr/local/a")], "v1.13.0")).toThrow(TypeError);
  });
});

describe("checkExtensionTree on a tree made by coreutils and listed by find", () => {
  const root = mkdtempSync(join(tmpdir(), "talos-ext-tree-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const kinds: Record<string, EntryType> = {
    f: "file",
    d: "dir",
    l: "symlink",
    c: "char",
    b: "block",
    p: "fifo",
    s: "socket",
  };

  function listTree(): TreeEntry[] {
    const out = execFileSync("find", [root, "-mindepth", "1", "-printf", "%y %m /%P\\n"], { encoding: "utf8" });
    return out
      .trim()
      .split("\n")
      .map((line) => {
        const [kind, mode, path] = line.split(" ") as [string, string, string];
        return { path, type: kinds[kind] as EntryType, mode: Number.parseInt(mode, 8) };
      });
  }

  it("finds every planted fault and nothing else", () => {
    const at = (p: string) => join(root, p);
    mkdirSync(at("usr/local/lib"), { recursive: true });
    mkdirSync(at("usr/lib/modules/6.12.0/extra"), { recursive: true });
    mkdirSync(at("boot"));
    writeFileSync(at("usr/local/lib/libnvidia-ml.so.595.58.03"), "x");
    writeFileSync(at("usr/lib/modules/6.12.0/extra/nvidia.ko"), "x");
    writeFileSync(at("boot/vmlinuz"), "x");
    writeFileSync(at("usr/local/lib/open.conf"), "x");
    // Known modes whatever the umask, then the one planted fault.
    execFileSync("chmod", ["-R", "u=rwX,go=rX", root]);
    execFileSync("chmod", ["0666", at("usr/local/lib/open.conf")]);
    execFileSync("ln", ["-s", "libnvidia-ml.so.595.58.03", at("usr/local/lib/libnvidia-ml.so.1")]);
    execFileSync("mkfifo", [at("usr/local/lib/pipe")]);

    const tree = listTree();
    expect(tree.find((e) => e.path === "/usr/local/lib/pipe")?.type).toBe("fifo");
    expect(checkExtensionTree(tree, "v1.13.0")).toEqual([
      { path: "/boot/vmlinuz", rule: "allowed-path", message: 'path "/boot/vmlinuz" is not allowed in extensions' },
      {
        path: "/usr/local/lib/open.conf",
        rule: "world-writable",
        message: 'world-writeable files are not allowed: "/usr/local/lib/open.conf"',
      },
      {
        path: "/usr/local/lib/pipe",
        rule: "special-file",
        message: 'special files are not allowed: "/usr/local/lib/pipe" (fifo)',
      },
    ]);
  });
});

describe("compatibility constraint", () => {
  it("drops a v before a digit, with upstream's skip after a removal", () => {
    expect(trimConstraint(">= v1.2.0")).toBe(">= 1.2.0");
    expect(trimConstraint(">=v1.2.0 <v2.0.0 || v3.0.0")).toBe(">=1.2.0 <2.0.0 || 3.0.0");
    expect(trimConstraint("vv1.0.0")).toBe("v1.0.0");
    expect(trimConstraint("v")).toBe("v");
  });

  it("checks the Talos version's major.minor.patch", () => {
    expect(checkCompatibility(">= v1.9.0", "v1.9.0-beta.0")).toEqual({ status: "compatible" });
    expect(checkCompatibility(">= v1.9.0", "v1.8.4")).toEqual({
      status: "incompatible",
      message: "version constraint >= v1.9.0 can't be satisfied with Talos version 1.8.4",
    });
    expect(checkCompatibility(">= v1.2.0", "v1.13.0").status).toBe("compatible");
    expect(checkCompatibility(">= v1.10.0 < v1.11.0", "v1.11.0").status).toBe("incompatible");
    expect(checkCompatibility("< v1.10.0 || >= v1.12.0", "v1.12.3").status).toBe("compatible");
  });

  it("passes an empty constraint and refuses one blang cannot parse", () => {
    expect(checkCompatibility("", "v1.13.0")).toEqual({ status: "compatible" });
    const bad = checkCompatibility("~> v1.2", "v1.13.0");
    expect(bad.status).toBe("invalid");
    expect(bad.status !== "compatible" && bad.message).toMatch(/^error parsing Talos version constraint: /);
    expect(checkCompatibility(" ", "v1.13.0").status).toBe("invalid");
    expect(checkCompatibility(">= 1.2.0, < 2.0.0", "v1.13.0").status).toBe("invalid");
  });

  it("does not judge releases that used hashicorp/go-version", () => {
    expect(checkCompatibility(">= v1.2.0", "v1.5.0").status).toBe("not-evaluated");
  });
});
