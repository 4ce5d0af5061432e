import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseKernelConfig } from "../../../src/formats/kernel/ikconfig.js";
import { readKernelImage } from "../../../src/formats/kernel/image.js";
import { BufferSource } from "../../../src/io/source.js";
import { moduleSignatureEnforcement } from "../../../src/talos/enforcement.js";

const tiny = join(import.meta.dirname, "../../fixtures/committed/tiny-kernel");
const image = (file: string) => readKernelImage(new BufferSource(file, readFileSync(join(tiny, file))));

describe("the configuration built into a kernel (CONFIG_IKCONFIG)", () => {
  for (const force of ["off", "on"]) {
    it(`is the build's .config, for the kernel with MODULE_SIG_FORCE ${force}`, async () => {
      const k = await image(`vmlinuz-ikconfig-force-${force}`);
      const built = parseKernelConfig(readFileSync(join(tiny, `config-ikconfig-force-${force}`), "utf8"));
      expect(k.config).toEqual(built);
      expect(k.config?.get("CONFIG_MODULE_SIG_FORCE")).toBe(force === "on" ? "y" : "n");
      const verdict = moduleSignatureEnforcement({
        config: k.config ?? new Map(),
        cmdline: "quiet",
        secureBoot: false,
      });
      expect(verdict.kind).toBe(force === "on" ? "enforced" : "off");
    });
  }

  it("is absent from a kernel built without it", async () => {
    expect((await image("vmlinuz")).config).toBeUndefined();
  });
});
