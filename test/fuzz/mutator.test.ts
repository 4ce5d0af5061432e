import { describe, expect, it } from "vitest";
import { iterationSeed, mutate, mutateField, Rng } from "./mutator.js";
import { loadSeeds, makeInput, targetNamed } from "./targets.js";

describe("the fuzz mutator", () => {
  it("makes the same input from the same seed, and different ones from different seeds", () => {
    const input = new Uint8Array(4096).map((_, i) => (i * 31) & 0xff);
    const a = mutate(input, new Rng(iterationSeed(7, 123)), { fields: [{ offset: 8, size: 4 }] });
    const b = mutate(input, new Rng(iterationSeed(7, 123)), { fields: [{ offset: 8, size: 4 }] });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    const outputs = new Set<string>();
    for (let i = 0; i < 200; i++) outputs.add(Buffer.from(mutate(input, new Rng(iterationSeed(7, i)))).toString("hex"));
    expect(outputs.size).toBeGreaterThan(190);
    // The input itself is never changed.
    expect(input[8]).toBe((8 * 31) & 0xff);
  });

  it("sets text fields (tar's octal, cpio's hex) as digits of their radix, in place", () => {
    for (let i = 0; i < 200; i++) {
      const b = new TextEncoder().encode("size=00000000;");
      mutateField(b, { offset: 5, size: 8, text: 16 }, new Rng(i));
      expect(new TextDecoder().decode(b)).toMatch(/^size=[0-9a-f]{8};$/);
    }
  });

  it("an iteration of a target is made again from its seed alone", async () => {
    const t = targetNamed("ldcache");
    if (t === undefined) throw new Error("no ldcache target");
    const seeds = await loadSeeds(t);
    if (seeds.length === 0) return;
    const x = makeInput(t, seeds, new Rng(iterationSeed(1, 42)));
    const y = makeInput(t, await loadSeeds(t), new Rng(iterationSeed(1, 42)));
    expect([x.seed.name, Buffer.from(x.bytes).toString("hex")]).toEqual([
      y.seed.name,
      Buffer.from(y.bytes).toString("hex"),
    ]);
  });
});
