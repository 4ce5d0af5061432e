import { type Check, findingOf } from "../../src/report/check.js";
import type { VerifyModel } from "../model.js";
import { modprobeLines, norm } from "./utils/modprobe.js";

/**
 * machined loads machine.kernel.modules with pmorjan/kmod (kernel_module_spec.go calls kmod.New() with no
 * options), whose only configuration is `options` lines of /etc/modprobe.conf (kmod_linux.go: applyConfig,
 * modConfig); it reads no modprobe.d directory and knows no `blacklist`. A modprobe.d file reaches only
 * loads through libkmod (udev's by alias), so for a module machined loads its options may never apply.
 */
export const modprobeMachined: Check<VerifyModel> = {
  code: "TE6003",
  title: "modprobe.d setting that machined does not apply",
  severity: "warning",
  explain:
    "When machined loads a module listed in machine.kernel.modules it passes only that entry's parameters: " +
    "it does not read modprobe.d, so NVreg_* options an extension ships in /usr/local/lib/modprobe.d apply " +
    "only when udev loads the module first by its alias, and a blacklist there does not stop machined.",
  fix: "Repeat the options in machine.kernel.modules[].parameters (and drop a module you blacklist from that list).",
  run(model) {
    // Who loads a module is known only from the machine configuration; without one, TE6001's text says it.
    const config = model.machineConfig;
    if (config === undefined) return [];
    const listed = new Map(config.modules.map((m) => [norm(m.name.value), m]));
    return model.artifacts.flatMap((artifact) =>
      artifact.modprobe.flatMap((conf) =>
        modprobeLines(conf.text).flatMap(({ line, command, module, params }) => {
          const entry = listed.get(norm(module));
          if (entry === undefined) return [];
          const at = { artifact: artifact.file, path: conf.location, line };
          if (command === "blacklist") {
            return [
              findingOf(this, {
                ...at,
                message: `${conf.path}:${line}: blacklists ${module}, which ${config.file} lists in machine.kernel.modules: machined loads it anyway (it reads no modprobe.d)`,
              }),
            ];
          }
          const given = new Set(entry.parameters.map((p) => norm(p.value.split("=", 1)[0] as string)));
          const unapplied = params.filter((p) => !given.has(norm(p)));
          if (unapplied.length === 0) return [];
          return [
            findingOf(this, {
              ...at,
              message: `${conf.path}:${line}: ${unapplied.join(", ")} for ${module}: ${config.file} lists ${module} in machine.kernel.modules without them, and machined reads no modprobe.d, so they apply only if udev loads ${module} first`,
            }),
          ];
        }),
      ),
    );
  },
};
