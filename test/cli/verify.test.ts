import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { verify } from "../../src/cli/verify.js";
import { runCommand } from "./run.js";

const dir = join(import.meta.dirname, "../fixtures/out/installer");

const run = (...argv: string[]) => runCommand(verify, ...argv);

describe("talos-ext verify (command)", () => {
  it("exits 0 on the clean installer and 1 on a planted fault", async () => {
    expect((await run(join(dir, "clean/installer.tar"))).code).toBe(0);
    expect((await run(join(dir, "unsigned/installer.tar"))).code).toBe(1);
  });

  it("--fail-on none turns findings into a report only; an info finding fails only --fail-on info", async () => {
    expect((await run(join(dir, "unsigned/installer.tar"), "--fail-on", "none")).code).toBe(0);
    expect((await run(join(dir, "stale-module/installer.tar"))).code).toBe(0);
    expect((await run(join(dir, "stale-module/installer.tar"), "--fail-on", "warning")).code).toBe(1);
  });

  it("writes SARIF with the check as a rule and JSON with the exit code", async () => {
    const sarif = JSON.parse((await run(join(dir, "ldcache-shadow/installer.tar"), "--format", "sarif")).out);
    expect(sarif.version).toBe("2.1.0");
    expect(sarif.runs[0].results.map((r: { ruleId: string }) => r.ruleId)).toEqual(["TE4002"]);
    expect(sarif.runs[0].tool.driver.rules.some((r: { id: string }) => r.id === "TE4002")).toBe(true);
    const json = JSON.parse((await run(join(dir, "ldcache-shadow/installer.tar"), "--format", "json")).out);
    expect(json.exitCode).toBe(1);
  });

  it("draws progress on stderr only when stderr is a terminal, and never into the report", async () => {
    const own = Object.getOwnPropertyDescriptor(process.stderr, "isTTY");
    const seen: Record<string, { err: string[]; out: string }> = {};
    try {
      for (const isTTY of [false, true]) {
        Object.defineProperty(process.stderr, "isTTY", { value: isTTY, configurable: true });
        const err: string[] = [];
        vi.spyOn(process.stderr, "write").mockImplementation((s) => {
          err.push(String(s));
          return true;
        });
        const { code, out } = await run(join(dir, "clean/installer.tar"));
        expect(code).toBe(0);
        seen[String(isTTY)] = { err, out };
      }
    } finally {
      if (own) Object.defineProperty(process.stderr, "isTTY", own);
      else delete (process.stderr as { isTTY?: boolean }).isTTY;
    }
    expect(seen.false).toEqual({ err: [], out: "No findings.\n" });
    expect(seen.true?.out).toBe("No findings.\n");
    expect(seen.true?.err[0]?.startsWith("\r\x1b[Kverify: 0.0 of ")).toBe(true);
    expect(seen.true?.err.some((e) => e.includes("segment 1!rootfs.sqsh"))).toBe(true);
    expect(seen.true?.err.at(-1)).toBe("\r\x1b[K");
  });

  it("exits 2 and names the file when an input cannot be read", async () => {
    const { code, out } = await run(join(dir, "../image/bad-truncated.tar"), "--format", "json");
    expect(code).toBe(2);
    expect(JSON.parse(out).inputErrors[0].message).toMatch(/bad-truncated\.tar: offset \d+/);
  });
});
