import { type Check, findingOf } from "../../src/report/check.js";
import type { ModuleFact, VerifyModel } from "../model.js";

const hex = (n: number): string => `0x${n.toString(16).padStart(8, "0")}`;

/** Who exports a symbol, and with which CRC. */
interface Export {
  readonly by: string;
  readonly crc: number;
}

/** The symbols the kernel and the artifact's modules export: a module's import resolves to one of them. */
function exportsOf(kernel: ReadonlyMap<string, number>, modules: readonly ModuleFact[]): Map<string, Export[]> {
  const out = new Map<string, Export[]>();
  for (const [name, crc] of kernel) out.set(name, [{ by: "the kernel", crc }]);
  for (const m of modules) {
    for (const { name, crc } of m.exports) out.set(name, [...(out.get(name) ?? []), { by: m.name, crc }]);
  }
  return out;
}

export const symbolVersions: Check<VerifyModel> = {
  code: "TE2004",
  title: "Module imports a symbol with another CRC than the kernel or its module exports",
  severity: "error",
  explain:
    "With CONFIG_MODVERSIONS the kernel compares the CRC of each symbol a module imports (its __versions, written " +
    "from the Module.symvers it was built against) with the CRC the kernel, or the module that provides the " +
    'symbol, exports it with, and refuses the module on the first difference ("disagrees about version of ' +
    'symbol"): the module was built against another build of the kernel or of that module.',
  fix: "Rebuild the module against this kernel's build tree (its Module.symvers, and the Module.symvers of the modules it uses), then sign it.",
  run(model) {
    const kernel = model.kernel;
    const exported = kernel?.exportCrcs;
    if (kernel === undefined || exported === undefined) return [];
    return model.artifacts.flatMap((artifact) => {
      const providers = exportsOf(exported, artifact.modules);
      return artifact.modules.flatMap((m) => {
        // A symbol nothing here exports is left alone: its module may come from elsewhere.
        const wrong = m.versions.flatMap((v) => {
          const by = providers.get(v.name) ?? [];
          return by.length === 0 || by.some((e) => e.crc === v.crc) ? [] : [{ ...v, by }];
        });
        if (wrong.length === 0) return [];
        const list = wrong.map(
          (v) => `${v.name} (${hex(v.crc)}, ${v.by.map((e) => `${e.by}'s ${hex(e.crc)}`).join(", ")})`,
        );
        return [
          findingOf(this, {
            artifact: artifact.file,
            path: m.location,
            message: `${m.name} imports ${wrong.length} symbol(s) with another CRC than ${kernel.location} or the module exporting it: ${list.slice(0, 5).join(", ")}${wrong.length > 5 ? ", ..." : ""}`,
          }),
        ];
      });
    });
  },
};
