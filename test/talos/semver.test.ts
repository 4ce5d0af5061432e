import { describe, expect, it } from "vitest";
import {
  compareSemver,
  formatSemver,
  parseRange,
  parseSemver,
  parseSemverTolerant,
  SemverError,
  satisfies,
} from "../../src/talos/semver.js";

// The cases below are the examples of github.com/blang/semver v4.0.0's own tests (v4/semver_test.go,
// v4/range_test.go) and of its ParseRange documentation, which Talos relies on.

const v = (s: string) => parseSemver(s);
const matches = (range: string, version: string) => satisfies(parseRange(range), v(version));

describe("parseSemver (blang Parse)", () => {
  it("parses and formats the upstream format examples", () => {
    for (const s of [
      "1.2.3",
      "0.0.1",
      "0.0.1-alpha.preview+123.456",
      "1.2.3-alpha.1+123.456",
      "1.2.3-alpha.1",
      "1.2.3+123.456",
      "1.2.3-alpha.b-eta+123.b-uild",
      "1.2.3+123.b-uild",
      "1.2.3-alpha.b-eta",
    ]) {
      expect(formatSemver(v(s))).toBe(s);
    }
    expect(v("1.2.3-alpha.1").pre).toEqual([{ str: "alpha" }, { num: 1n }]);
  });

  it("refuses the upstream wrong formats", () => {
    for (const s of [
      "",
      ".",
      "1.",
      ".1",
      "a.b.c",
      "1.a.b",
      "1.1.a",
      "1.a.1",
      "a.1.1",
      "..",
      "1..",
      "1.1.",
      "1..1",
      "1.1.+123",
      "1.1.-beta",
      "-1.1.1",
      "1.-1.1",
      "1.1.-1",
      "20000000000000000000.1.1",
      "1.20000000000000000000.1",
      "1.1.20000000000000000000",
      "1.1.1-20000000000000000000",
      "01.1.1",
      "001.1.1",
      "1.01.1",
      "1.001.1",
      "1.1.01",
      "1.1.001",
      "1.1.1-01",
      "1.1.1-001",
      "1.1.1-beta.01",
      "1.1.1-beta.001",
      "0.0.0-!",
      "0.0.0+!",
      "0.0.0-.alpha",
      "0.0.0-alpha+",
      "0.0.0-alpha+test.",
    ]) {
      expect(() => v(s), s).toThrow(SemverError);
    }
  });

  it("keeps the full unsigned 64-bit range", () => {
    expect(v("18446744073709551615.0.0").major).toBe(18446744073709551615n);
    expect(() => v("18446744073709551616.0.0")).toThrow(/out of range/);
  });
});

describe("parseSemverTolerant (blang ParseTolerant)", () => {
  it("normalises the upstream tolerant examples", () => {
    const cases: [string, string][] = [
      ["v1.2.3", "1.2.3"],
      ["1.2.0-alpha", "1.2.0-alpha"],
      ["1.2.00", "1.2.0"],
      ["\t1.2.3 ", "1.2.3"],
      ["01.02.03", "1.2.3"],
      ["00.0.03", "0.0.3"],
      ["000.0.03", "0.0.3"],
      ["1.2", "1.2.0"],
      ["1", "1.0.0"],
    ];
    for (const [input, want] of cases) expect(formatSemver(parseSemverTolerant(input)), input).toBe(want);
  });

  it("refuses short versions with pre-release or build metadata", () => {
    for (const s of ["1.0+abc", "1.0-rc.1"]) expect(() => parseSemverTolerant(s), s).toThrow(SemverError);
  });
});

describe("compareSemver", () => {
  it("orders the upstream comparison examples, both ways", () => {
    const cases: [string, string, number][] = [
      ["1.0.0", "1.0.0", 0],
      ["2.0.0", "1.0.0", 1],
      ["0.1.0", "0.1.0", 0],
      ["0.2.0", "0.1.0", 1],
      ["0.0.1", "0.0.1", 0],
      ["0.0.2", "0.0.1", 1],
      ["1.2.3", "1.2.3", 0],
      ["2.2.4", "1.2.4", 1],
      ["1.3.3", "1.2.3", 1],
      ["1.2.4", "1.2.3", 1],
      ["1.0.0", "2.0.0", -1],
      ["2.0.0", "2.1.0", -1],
      ["2.1.0", "2.1.1", -1],
      ["1.0.0", "1.0.0-alpha", 1],
      ["1.0.0-alpha", "1.0.0-alpha.1", -1],
      ["1.0.0-alpha.1", "1.0.0-alpha.beta", -1],
      ["1.0.0-alpha.beta", "1.0.0-beta", -1],
      ["1.0.0-beta", "1.0.0-beta.2", -1],
      ["1.0.0-beta.2", "1.0.0-beta.11", -1],
      ["1.0.0-beta.11", "1.0.0-rc.1", -1],
      ["1.0.0-rc.1", "1.0.0", -1],
      ["1.0.0+1.2.3", "1.0.0", 0],
    ];
    for (const [a, b, want] of cases) {
      expect(compareSemver(v(a), v(b)), `${a} vs ${b}`).toBe(want);
      expect(compareSemver(v(b), v(a)), `${b} vs ${a}`).toBe(-want || 0);
    }
  });
});

describe("parseRange (blang ParseRange)", () => {
  it("matches the upstream TestParseRange table", () => {
    const table: [string, [string, boolean][]][] = [
      [
        ">1.2.3",
        [
          ["1.2.2", false],
          ["1.2.3", false],
          ["1.2.4", true],
        ],
      ],
      [
        ">=1.2.3",
        [
          ["1.2.3", true],
          ["1.2.4", true],
          ["1.2.2", false],
        ],
      ],
      [
        "<1.2.3",
        [
          ["1.2.2", true],
          ["1.2.3", false],
          ["1.2.4", false],
        ],
      ],
      [
        "<=1.2.3",
        [
          ["1.2.2", true],
          ["1.2.3", true],
          ["1.2.4", false],
        ],
      ],
      ...["1.2.3", "=1.2.3", "==1.2.3"].map((r): [string, [string, boolean][]] => [
        r,
        [
          ["1.2.2", false],
          ["1.2.3", true],
          ["1.2.4", false],
        ],
      ]),
      ...["!=1.2.3", "!1.2.3"].map((r): [string, [string, boolean][]] => [
        r,
        [
          ["1.2.2", true],
          ["1.2.3", false],
          ["1.2.4", true],
        ],
      ]),
      [
        ">1.2.2 <1.2.4",
        [
          ["1.2.2", false],
          ["1.2.3", true],
          ["1.2.4", false],
        ],
      ],
      [
        "<1.2.2 <1.2.4",
        [
          ["1.2.1", true],
          ["1.2.2", false],
          ["1.2.3", false],
          ["1.2.4", false],
        ],
      ],
      ...[">1.2.2 <1.2.5 !=1.2.4", ">1.2.2 <1.2.5 !1.2.4"].map((r): [string, [string, boolean][]] => [
        r,
        [
          ["1.2.2", false],
          ["1.2.3", true],
          ["1.2.4", false],
          ["1.2.5", false],
        ],
      ]),
      [
        ">1.2.2 || <1.2.4",
        [
          ["1.2.2", true],
          ["1.2.3", true],
          ["1.2.4", true],
        ],
      ],
      [
        "<1.2.2 || >1.2.4",
        [
          ["1.2.2", false],
          ["1.2.3", false],
          ["1.2.4", false],
        ],
      ],
      [
        ">1.x",
        [
          ["0.1.9", false],
          ["1.2.6", false],
          ["1.9.0", false],
          ["2.0.0", true],
        ],
      ],
      [
        ">1.2.x",
        [
          ["1.1.9", false],
          ["1.2.6", false],
          ["1.3.0", true],
        ],
      ],
      [
        ">1.2.2 <1.2.4 || >=2.0.0",
        [
          ["1.2.2", false],
          ["1.2.3", true],
          ["1.2.4", false],
          ["2.0.0", true],
          ["2.0.1", true],
        ],
      ],
      [
        "1.x || >=2.0.x <2.2.x",
        [
          ["0.9.2", false],
          ["1.2.2", true],
          ["2.0.0", true],
          ["2.1.8", true],
          ["2.2.0", false],
        ],
      ],
      [
        ">1.2.2 <1.2.4 || >=2.0.0 <3.0.0",
        [
          ["1.2.2", false],
          ["1.2.3", true],
          ["1.2.4", false],
          ["2.0.0", true],
          ["2.0.1", true],
          ["2.9.9", true],
          ["3.0.0", false],
        ],
      ],
    ];
    for (const [range, cases] of table) {
      for (const [version, want] of cases) expect(matches(range, version), `${range} on ${version}`).toBe(want);
    }
  });

  it("matches the ParseRange documentation examples", () => {
    expect(matches(">1.0.0 <3.0.0 !2.0.3-beta.2", "2.0.3-beta.2")).toBe(false);
    expect(matches(">1.0.0 <3.0.0 !2.0.3-beta.2", "2.0.3")).toBe(true);
    for (const s of ["1.2.3", "1.9.9", "3.1.1"]) expect(matches(">1.0.0 <2.0.0 || >3.0.0 !4.2.1", s), s).toBe(true);
    for (const s of ["4.2.1", "2.1.1"]) expect(matches(">1.0.0 <2.0.0 || >3.0.0 !4.2.1", s), s).toBe(false);
  });

  it("expands wildcards as upstream TestExpandWildcardVersion does", () => {
    const expanded: [string, string][] = [
      [">=1.2.x", ">=1.2.0"],
      ["<=1.2.x", "<1.3.0"],
      [">1.2.x", ">=1.3.0"],
      ["<1.2.x", "<1.2.0"],
      ["!=1.2.x", "<1.2.0 >=1.3.0"],
      [">=1.x", ">=1.0.0"],
      ["<=1.x", "<2.0.0"],
      [">1.x", ">=2.0.0"],
      ["<1.x", "<1.0.0"],
      ["!=1.x", "<1.0.0 >=2.0.0"],
      ["1.2.x", ">=1.2.0 <1.3.0"],
      ["1.x", ">=1.0.0 <2.0.0"],
    ];
    const text = (r: string) =>
      parseRange(r)
        .anyOf.map((g) => g.map((c) => `${c.op}${formatSemver(c.version)}`).join(" "))
        .join(" || ");
    for (const [wild, plain] of expanded) expect(text(wild), wild).toBe(text(plain));
  });

  it("keeps a space after an operator inside the comparator, as upstream TestSplitAndTrim shows", () => {
    const ops = (r: string) => parseRange(r).anyOf.map((g) => g.map((c) => `${c.op}${formatSemver(c.version)}`));
    expect(ops("  >=   1.2.3   <=  1.2.3   ")).toEqual([[">=1.2.3", "<=1.2.3"]]);
    expect(ops("      1.2.3      ||     >=1.2.3     <1.2.3    ")).toEqual([["=1.2.3"], [">=1.2.3", "<1.2.3"]]);
  });

  it("refuses what upstream refuses", () => {
    for (const r of [">>1.2.3", "1.0", "string", "", "fo.ob.ar.x", "||>1.2.3", ">1.2.3 ||", "<==1.2.3", "-1.2.3"]) {
      expect(() => parseRange(r), r).toThrow(SemverError);
    }
  });

  it("has no tilde, caret or comma ranges", () => {
    for (const r of ["~1.2.3", "^1.2.3", ">=1.2.0, <2.0.0", "~>1.2"]) {
      expect(() => parseRange(r), r).toThrow(SemverError);
    }
  });

  it("reads a hyphen range as two equalities (the lone '-' is dropped), which nothing satisfies", () => {
    for (const s of ["1.2.3", "1.5.0", "2.0.0"]) expect(matches("1.2.3 - 2.0.0", s), s).toBe(false);
  });

  it("drops a one-character token between spaces, as splitAndTrim's length test does", () => {
    // "1" is skipped, leaving ">=2.0.0" alone: 1.0.0 does not match, 2.0.0 does.
    expect(matches("1 >=2.0.0", "1.0.0")).toBe(false);
    expect(matches("1 >=2.0.0", "2.0.0")).toBe(true);
  });
});
