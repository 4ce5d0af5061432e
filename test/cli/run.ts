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

/** runCommand, with what the command wrote to stderr too (error messages). */
export async function runCapturing(
  cmd: Command,
  ...argv: string[]
): Promise<{ code: number; out: string; err: string }> {
  let err = "";
  const spy = vi.spyOn(process.stderr, "write").mockImplementation((s) => {
    err += String(s);
    return true;
  });
  try {
    return { ...(await runCommand(cmd, ...argv)), err };
  } finally {
    spy.mockRestore();
  }
}
