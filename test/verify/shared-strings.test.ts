import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readModule } from "../../verify/modules.js";
import { SharedStrings } from "../../verify/shared-strings.js";

const signed = join(import.meta.dirname, "../fixtures/out/signed-modules");

describe("shared strings", () => {
  it("modules keep their facts, with one signature fact for one signer, key and hash", async () => {
    const read = (name: string, layer: string) =>
      readModule(new Uint8Array(readFileSync(join(signed, name))), {
        location: `${layer}!/${name}`,
        layer,
        layerLocation: layer,
        path: `/${name}`,
      });
    const modules = await Promise.all([read("rsa.ko", "a"), read("skid.ko", "a"), read("rsa.ko", "b")]);
    const copies = structuredClone(modules);
    const strings = new SharedStrings();
    const shared = copies.map((m) => strings.module(m));
    expect(shared).toEqual(modules);
    // rsa.ko twice: one signature fact; skid.ko names its signer by key id, another fact.
    expect(shared[2]?.signature).toBe(shared[0]?.signature);
    expect(shared[1]?.signature).not.toBe(shared[0]?.signature);
  });
});
