import { type Check, findingOf } from "../../src/report/check.js";
import type { VerifyModel } from "../model.js";
import { modulesByName, norm } from "./utils/modprobe.js";

/**
 * `--machine-config`: each machine.kernel.modules entry against the installer's modules. machined loads it
 * with pmorjan/kmod (kernel_module_spec.go: manager.Load(name, parameters joined by spaces)); the kernel
 * ignores an unknown parameter with a log line, and a module the installer lacks fails the controller.
 */
export const machineModules: Check<VerifyModel> = {
  code: "TE6002",
  title: "machine.kernel.modules entry that does not load as written",
  severity: "error",
  explain:
    "machined loads every module of machine.kernel.modules with the parameters listed there. A module the " +
    "installer does not carry fails to load on every boot, and a parameter the module does not declare (its " +
    "parm entries) is dropped by the kernel with a log line, so the setting never applies.",
  fix: "Name the module and its parameters as `modinfo` lists them in the installer this configuration boots.",
  run(model) {
    const config = model.machineConfig;
    const installer = model.artifacts.find((a) => a.role === "installer");
    if (config === undefined || installer === undefined) return [];
    const byName = modulesByName(installer);
    return config.modules.flatMap(({ name, parameters }) => {
      const at = (line: number, column: number) => ({ artifact: config.file, line, column });
      const copies = byName.get(norm(name.value));
      if (copies === undefined) {
        return [
          findingOf(this, {
            ...at(name.line, name.column),
            message: `${name.value} is not a module of ${installer.file}: machined fails to load it`,
          }),
        ];
      }
      const known = new Set(copies.flatMap((m) => m.params.map((p) => norm(p.name))));
      return parameters
        .filter((p) => !known.has(norm(p.value.split("=", 1)[0] as string)))
        .map((p) =>
          findingOf(this, {
            ...at(p.line, p.column),
            message: `${name.value} has no parameter ${p.value.split("=", 1)[0]} (it has ${[...known].sort().join(", ") || "no parameters"}): the kernel ignores it`,
          }),
        );
    });
  },
};
