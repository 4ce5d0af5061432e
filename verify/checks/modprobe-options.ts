import { type Check, findingOf } from "../../src/report/check.js";
import type { VerifyModel } from "../model.js";
import { modprobeLines, modulesByName, norm } from "./utils/modprobe.js";

export const modprobeOptions: Check<VerifyModel> = {
  code: "TE6001",
  title: "modprobe.d option names a parameter or module that does not exist",
  severity: "error",
  explain:
    "modprobe passes options to the module by name; a misspelt parameter (NVreg_RegistryDword for " +
    "NVreg_RegistryDwords) is ignored by the kernel with a log line nobody reads, so the P2P registry overrides " +
    "simply never apply. Even a correct option reaches only loads through libkmod (udev's, by alias): machined, " +
    "loading machine.kernel.modules through pmorjan/kmod, reads no modprobe.d (TE6003 with --machine-config).",
  fix: "Spell the parameter as the module's `modinfo -p` lists it, and the module as its modinfo name.",
  run(model) {
    return model.artifacts.flatMap((artifact) => {
      const byName = modulesByName(artifact);
      return artifact.modprobe.flatMap((conf) =>
        modprobeLines(conf.text)
          .filter((l) => l.command === "options")
          .flatMap(({ line, module, params }) => {
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
