import { type Check, findingOf } from "../../src/report/check.js";
import type { ModuleFact, VerifyModel } from "../model.js";

/** modprobe treats `-` and `_` in module and parameter names alike. */
const norm = (s: string): string => s.replaceAll("-", "_");

/** `options MODULE PARAM[=VALUE] ...` lines, with their 1-based line numbers; quotes may hold spaces. */
export function optionsLines(text: string): { line: number; module: string; params: string[] }[] {
  const out: { line: number; module: string; params: string[] }[] = [];
  text.split("\n").forEach((raw, i) => {
    const words = raw.replace(/#.*/, "").match(/(?:[^\s"]+|"[^"]*")+/g) ?? [];
    if (words[0] === "options" && words[1] !== undefined) {
      out.push({ line: i + 1, module: words[1], params: words.slice(2).map((w) => w.split("=", 1)[0] as string) });
    }
  });
  return out;
}

export const modprobeOptions: Check<VerifyModel> = {
  code: "TE6001",
  title: "modprobe.d option names a parameter or module that does not exist",
  severity: "error",
  explain:
    "modprobe passes options to the module by name; a misspelt parameter (NVreg_RegistryDword for " +
    "NVreg_RegistryDwords) is ignored by the kernel with a log line nobody reads, so the P2P registry overrides " +
    "simply never apply.",
  fix: "Spell the parameter as the module's `modinfo -p` lists it, and the module as its modinfo name.",
  run(model) {
    return model.artifacts.flatMap((artifact) => {
      const byName = new Map<string, ModuleFact[]>();
      for (const m of artifact.modules) byName.set(norm(m.name), [...(byName.get(norm(m.name)) ?? []), m]);
      return artifact.modprobe.flatMap((conf) =>
        optionsLines(conf.text).flatMap(({ line, module, params }) => {
          const copies = byName.get(norm(module));
          const at = { artifact: artifact.file, path: conf.location, line };
          if (copies === undefined) {
            // An extension or module package alone does not hold the modules of the rootfs or other extensions.
            if (artifact.role === "extension" || artifact.role === "modules") return [];
            return [
              findingOf(this, { ...at, message: `${conf.path}:${line}: no module named ${module} in this image` }),
            ];
          }
          const known = new Set(copies.flatMap((m) => m.params.map((p) => norm(p.name))));
          return params
            .filter((p) => !known.has(norm(p)))
            .map((p) =>
              findingOf(this, {
                ...at,
                message:
                  `${conf.path}:${line}: ${module} has no parameter ${p} ` +
                  `(it has ${[...known].sort().join(", ") || "no parameters"})`,
              }),
            );
        }),
      );
    });
  },
};
