import { basename } from "node:path";
import { parseArgs } from "node:util";
import { listTemplates, SCAFFOLD_DEFAULTS, scaffold } from "../extension/scaffold.js";
import { EXIT_INPUT, EXIT_OK } from "../report/exit.js";
import type { Command } from "./command.js";

export const newCommand: Command = {
  name: "new",
  summary: "Write a new extension directory from a template (nvidia-p2p, kmod, firmware, service)",
  usage: [
    "Usage: talos-ext new TEMPLATE [DIR] [--name NAME] [--talos-version V] [--kernel-release R] [--force]",
    "       talos-ext new --list",
    "",
    "DIR defaults to ./TEMPLATE; NAME to DIR's name. --talos-version is the oldest Talos release the",
    `extension is for (default ${SCAFFOLD_DEFAULTS.TALOS_VERSION}); --kernel-release is that Talos kernel's \`uname -r\`, which`,
    `modules must be built for (default ${SCAFFOLD_DEFAULTS.KERNEL_RELEASE}, which no module matches: set it before building modules).`,
    "An existing DIR is refused unless --force.",
  ].join("\n"),
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        list: { type: "boolean" },
        name: { type: "string" },
        "talos-version": { type: "string" },
        "kernel-release": { type: "string" },
        force: { type: "boolean" },
      },
    });
    if (values.list) {
      const all = await listTemplates();
      const width = Math.max(...all.map((t) => t.name.length));
      for (const t of all) process.stdout.write(`${t.name.padEnd(width)}  ${t.description}\n`);
      return EXIT_OK;
    }
    const [template, dest = template] = positionals;
    if (template === undefined || dest === undefined || positionals.length > 2) {
      process.stderr.write(`${this.usage}\n`);
      return EXIT_INPUT;
    }
    const files = await scaffold(
      template,
      dest,
      {
        NAME: values.name ?? basename(dest),
        TALOS_VERSION: values["talos-version"] ?? SCAFFOLD_DEFAULTS.TALOS_VERSION,
        KERNEL_RELEASE: values["kernel-release"] ?? SCAFFOLD_DEFAULTS.KERNEL_RELEASE,
      },
      { force: values.force ?? false },
    );
    process.stdout.write(`${dest}: ${files.length} files from template ${template}\n`);
    for (const f of files) process.stdout.write(`  ${f}\n`);
    process.stdout.write(`Next: talos-ext build ${dest}\n`);
    return EXIT_OK;
  },
};
