import { vi } from "vitest";
import type { Command } from "../../src/cli/command.js";

/** Runs a command in-process and returns its exit code and what it wrote to stdout. */
export async function runCommand(cmd: Command, ...argv: string[]): Promise<{ code: number; out: string }> {
  let out = "";
  vi.spyOn(process.stdout, "write").mockImplementation((s) => {
    out += String(s);
    return true;
  });
  try {
    return { code: await cmd.run(argv), out };
  } finally {
    vi.restoreAllMocks();
  }
}
