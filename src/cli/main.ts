#!/usr/bin/env node
import { EXIT_INPUT } from "../report/exit.js";
import { commands } from "./commands.js";
import { toolVersion } from "./version.js";

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length), 4);
  return [
    "talos-ext: build and verify Talos Linux system extensions",
    "",
    "Usage: talos-ext COMMAND [OPTIONS] [ARGS]",
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Run `talos-ext COMMAND --help` for a command's options.",
  ].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(`${help()}\n`);
    return 0;
  }
  if (name === "--version" || name === "-V") {
    process.stdout.write(`${toolVersion()}\n`);
    return 0;
  }
  const cmd = commands.find((c) => c.name === name);
  if (cmd === undefined) {
    process.stderr.write(`talos-ext: unknown command '${name}'\n\n${help()}\n`);
    return EXIT_INPUT;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(`${cmd.usage}\n`);
    return 0;
  }
  try {
    return await cmd.run(rest);
  } catch (err) {
    process.stderr.write(`talos-ext ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_INPUT;
  }
}

process.exitCode = await main(process.argv.slice(2));
