import { describe, expect, it } from "vitest";
import {
  absoluteFault,
  absoluteParts,
  clampPath,
  cleanRelative,
  climbsOut,
  isInside,
  relativeFault,
} from "../../src/io/path.js";

const refuse = (fault: string) => new Error(fault);

describe("relative names", () => {
  it.each([
    ["a/b", undefined],
    ["./a//b/", undefined],
    ["", undefined],
    ["a/..b/c..", undefined],
    ["/etc/passwd", "absolute"],
    ["/../x", "absolute"],
    ["a\0b", "nul"],
    ["a\0/..", "nul"],
    ["..", "dot-dot"],
    ["../x", "dot-dot"],
    ["a/../b", "dot-dot"],
    ["a/b/..", "dot-dot"],
  ])("%j: %s", (name, fault) => {
    expect(relativeFault(name)).toBe(fault);
  });

  it("cleans a safe name to the absolute path it names inside its root", () => {
    expect(cleanRelative("./a//b/./c/", refuse)).toBe("/a/b/c");
    expect(cleanRelative("./", refuse)).toBe("/");
    expect(cleanRelative("", refuse)).toBe("/");
  });

  it("throws the caller's error for the first fault", () => {
    expect(() => cleanRelative("/a/../b", refuse)).toThrow(/^absolute$/);
    expect(() => cleanRelative("a/../b", refuse)).toThrow(/^dot-dot$/);
  });
});

describe("clean absolute paths", () => {
  it.each([
    ["/", undefined],
    ["/a/b", undefined],
    ["/a/.b/..c", undefined],
    ["", "relative"],
    ["a/b", "relative"],
    ["/a/", "empty"],
    ["/a//b", "empty"],
    ["//", "empty"],
    ["/a/./b", "dot"],
    ["/.", "dot"],
    ["/a/../b", "dot-dot"],
    ["/a\0b", "nul"],
  ])("%j: %s", (path, fault) => {
    expect(absoluteFault(path)).toBe(fault);
  });

  it("splits a clean path into its names, the root into none", () => {
    expect(absoluteParts("/", refuse)).toEqual([]);
    expect(absoluteParts("/usr/lib/x", refuse)).toEqual(["usr", "lib", "x"]);
    expect(() => absoluteParts("/a//b", refuse)).toThrow(/^empty$/);
  });
});

describe("clamped cleaning", () => {
  it.each([
    ["/a//b/./c/", "/a/b/c"],
    ["/a/../b", "/b"],
    ["/a/../../../b", "/b"],
    ["/..", "/"],
    ["", "/"],
    ["a/b", "/a/b"],
    ["../x", "/x"],
  ])("%j is %j", (path, clean) => {
    expect(clampPath(path)).toBe(clean);
  });

  it.each([
    ["/usr/bin/../lib/x", false],
    ["/usr/bin/../../x", false],
    ["/usr/bin/../../../etc/shadow", true],
    ["/a/../b/../..", true],
    ["/../a/b/../..", true],
    ["/a/b/./../../", false],
  ])("%j climbs out: %s", (path, out) => {
    expect(climbsOut(path)).toBe(out);
  });
});

describe("inside a root", () => {
  it.each([
    ["/rootfs", "/rootfs", true],
    ["/rootfs/a", "/rootfs", true],
    ["/rootfsx", "/rootfs", false],
    ["/pkg", "/rootfs", false],
    ["/anything", "/", true],
    ["/", "/", true],
  ])("%j in %j: %s", (path, root, inside) => {
    expect(isInside(path, root)).toBe(inside);
  });
});
