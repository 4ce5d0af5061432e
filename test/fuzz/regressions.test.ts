/**
 * Every input the fuzzer found failing, kept under test/fuzz/regressions/<target>/ (minimised where the
 * minimiser could shrink it), run through its target in-process: each must now parse or be refused with a
 * FormatError or LimitError naming the file and offset.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runOne, targetNamed } from "./targets.js";

const dir = join(import.meta.dirname, "regressions");
const cases = readdirSync(dir, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) =>
    readdirSync(join(dir, d.name))
      .filter((f) => !f.endsWith(".md"))
      .map((f) => [d.name, f] as const),
  );

describe("fuzz regressions", () => {
  it("there are some", () => expect(cases.length).toBeGreaterThan(0));

  it.each(cases)("%s/%s parses or is refused typed", async (target, file) => {
    const t = targetNamed(target);
    if (t === undefined) throw new Error(`no fuzz target ${target}`);
    const name = `regressions/${target}/${file}`;
    const outcome = await runOne(t, new Uint8Array(readFileSync(join(dir, target, file))), name);
    expect(outcome.kind === "failure" ? outcome.error : outcome.kind).toMatch(/^(parsed|typed)$/);
    // The image archive target reads its input from a file of its own under the temporary directory.
    if (outcome.kind === "typed")
      expect(outcome.error.startsWith(name) || outcome.error.includes("talos-ext-fuzz-")).toBe(true);
  });
});
