import { type Check, findingOf } from "../../src/report/check.js";
import type { VerifyModel } from "../model.js";

const hex = (n: number): string => `0x${n.toString(16).padStart(8, "0")}`;

export const symbolVersions: Check<VerifyModel> = {
  code: "TE2004",
  title: "Module imports a symbol with another CRC than the kernel exports",
  severity: "error",
  explain:
    "With CONFIG_MODVERSIONS the kernel compares the CRC of each symbol a module imports (its __versions, written " +
    "from the Module.symvers it was built against) with the CRC it exports, and refuses the module on the first " +
    'difference ("disagrees about version of symbol"): the module was built against another build of the kernel.',
  fix: "Rebuild the module against this kernel's build tree (its Module.symvers), then sign it.",
  run(model) {
    const kernel = model.kernel;
    const exported = kernel?.exportCrcs;
    if (kernel === undefined || exported === undefined) return [];
    return model.artifacts.flatMap((artifact) =>
      artifact.modules.flatMap((m) => {
        // A symbol vmlinux does not export comes from another module, whose CRCs are not read here.
        const wrong = m.versions.filter((v) => exported.has(v.name) && exported.get(v.name) !== v.crc);
        if (wrong.length === 0) return [];
        const list = wrong.map((v) => `${v.name} (${hex(v.crc)}, the kernel's ${hex(exported.get(v.name) ?? 0)})`);
        return [
          findingOf(this, {
            artifact: artifact.file,
            path: m.location,
            message: `${m.name} imports ${wrong.length} symbol(s) with another CRC than ${kernel.location} exports: ${list.slice(0, 5).join(", ")}${wrong.length > 5 ? ", ..." : ""}`,
          }),
        ];
      }),
    );
  },
};
