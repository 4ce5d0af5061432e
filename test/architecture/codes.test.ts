import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { P2P_CHECKS } from "../../src/p2p/checks/index.js";
import { repoChecks } from "../../src/repo/checks/index.js";
import { checks } from "../../verify/checks/index.js";

const readme = readFileSync(join(import.meta.dirname, "../../README.md"), "utf8");
const all = [...checks, ...repoChecks, ...P2P_CHECKS];

describe("finding codes", () => {
  it("are unique across verify, check and p2p", () => {
    const codes = all.map((c) => c.code);
    expect(codes.filter((c, i) => codes.indexOf(c) !== i)).toEqual([]);
  });

  it("each have a row in README's verify table (check and p2p name theirs by range)", () => {
    expect(checks.map((c) => c.code).filter((code) => !new RegExp(`^\\| ${code} \\|`, "m").test(readme))).toEqual([]);
  });
});
