import { describe, expect, it } from "vitest";
import { FormatError, LimitError } from "../../src/io/errors.js";
import {
  type Check,
  exitCode,
  FAIL_ON_VALUES,
  failsAt,
  findingOf,
  parseFailOn,
  runChecks,
  type VerifyResult,
} from "../../src/report/check.js";
import { EXIT_FINDINGS, EXIT_INPUT, EXIT_OK } from "../../src/report/exit.js";
import type { Finding, Severity } from "../../src/report/finding.js";

interface Model {
  readonly modules: readonly { readonly path: string; readonly signer: string }[];
  readonly kernelKey: string;
}

const model: Model = {
  kernelKey: "aa:bb",
  modules: [
    { path: "/usr/lib/modules/x/nvidia.ko", signer: "cc:dd" },
    { path: "/usr/lib/modules/x/nvidia-uvm.ko", signer: "aa:bb" },
    { path: "/usr/lib/modules/x/nvidia-drm.ko", signer: "ee:ff" },
  ],
};

const wrongKey: Check<Model> = {
  code: "TE1001",
  title: "Module signed by a key the kernel does not trust",
  severity: "error",
  explain: "With module.sig_enforce=1 the kernel refuses the module; only dmesg says why.",
  fix: "Sign the module with the key of the kernel build inside the installer.",
  run: (m) =>
    m.modules
      .filter((mod) => mod.signer !== m.kernelKey)
      .map((mod) =>
        findingOf(wrongKey, {
          artifact: "installer.tar",
          path: `installer.tar!${mod.path}`,
          message: `${mod.path} is signed by ${mod.signer}, the kernel trusts ${m.kernelKey}`,
        }),
      ),
};

const asyncInfo: Check<Model> = {
  code: "TE6001",
  title: "Modules counted",
  severity: "info",
  explain: "e",
  fix: "f",
  run: async (m) => [findingOf(asyncInfo, { artifact: "installer.tar", message: `${m.modules.length} modules` })],
};

const unreadable = (err: Error): Check<Model> => ({
  code: "TE2001",
  title: "t",
  severity: "error",
  explain: "e",
  fix: "f",
  run: () => {
    throw err;
  },
});

describe("findingOf", () => {
  it("takes code, severity, title, explain and fix from the check", () => {
    const f = findingOf(wrongKey, { artifact: "a.tar", path: "a.tar!/x", line: 1, column: 2, message: "m" });
    expect(f).toEqual({
      code: "TE1001",
      severity: "error",
      title: wrongKey.title,
      explain: wrongKey.explain,
      fix: wrongKey.fix,
      artifact: "a.tar",
      path: "a.tar!/x",
      line: 1,
      column: 2,
      message: "m",
    });
  });
});

describe("runChecks", () => {
  it("runs sync and async checks and sorts their findings", async () => {
    const result = await runChecks([asyncInfo, wrongKey], model);
    expect(result.inputErrors).toEqual([]);
    expect(result.findings.map((f) => [f.code, f.path ?? ""])).toEqual([
      ["TE6001", ""],
      ["TE1001", "installer.tar!/usr/lib/modules/x/nvidia-drm.ko"],
      ["TE1001", "installer.tar!/usr/lib/modules/x/nvidia.ko"],
    ]);
  });

  it("turns FormatError and LimitError into input errors and keeps the other checks' findings", async () => {
    const format = new FormatError("initramfs.xz", 4096, "cpio header", "magic 070701", "00000000");
    const limit = new LimitError("rootfs.sqsh", 96, "inode table", 1 << 20, 1 << 30);
    const result = await runChecks([wrongKey, unreadable(format), { ...unreadable(limit), code: "TE2002" }], model);
    expect(result.findings).toHaveLength(2);
    expect(result.inputErrors).toEqual([
      { artifact: "initramfs.xz", message: format.message },
      { artifact: "rootfs.sqsh", message: limit.message },
    ]);
  });

  it("lets other exceptions through: they are bugs, not bad input", async () => {
    await expect(runChecks([unreadable(new TypeError("boom"))], model)).rejects.toThrow("boom");
  });

  it("refuses two checks with one code and a finding under another check's code", async () => {
    await expect(runChecks([wrongKey, { ...asyncInfo, code: "TE1001" }], model)).rejects.toThrow(/share the code/);
    const liar: Check<Model> = { ...asyncInfo, run: () => [findingOf(wrongKey, { artifact: "a", message: "m" })] };
    await expect(runChecks([liar], model)).rejects.toThrow(/coded TE1001/);
  });
});

describe("--fail-on and exit codes", () => {
  const at = (severity: Severity): Finding => findingOf({ ...wrongKey, severity }, { artifact: "a", message: "m" });
  const result = (findings: Finding[], inputErrors: VerifyResult["inputErrors"] = []): VerifyResult => ({
    findings,
    inputErrors,
  });

  it("parses the threshold", () => {
    expect(FAIL_ON_VALUES).toEqual(["error", "warning", "info", "none"]);
    for (const v of FAIL_ON_VALUES) expect(parseFailOn(v)).toBe(v);
    expect(() => parseFailOn("warn")).toThrow("--fail-on: expected one of error, warning, info, none, got 'warn'");
  });

  it("fails on findings at or above the threshold", () => {
    const table: [Severity, "error" | "warning" | "info" | "none", boolean][] = [
      ["error", "error", true],
      ["warning", "error", false],
      ["info", "error", false],
      ["error", "warning", true],
      ["warning", "warning", true],
      ["info", "warning", false],
      ["error", "info", true],
      ["warning", "info", true],
      ["info", "info", true],
      ["error", "none", false],
    ];
    for (const [severity, failOn, fails] of table) {
      expect(failsAt(severity, failOn), `${severity} at ${failOn}`).toBe(fails);
      expect(exitCode(result([at(severity)]), failOn)).toBe(fails ? EXIT_FINDINGS : EXIT_OK);
    }
  });

  it("returns 0 when clean and 2 for unreadable input, whatever the findings", () => {
    expect(exitCode(result([]), "info")).toBe(EXIT_OK);
    const broken = [{ artifact: "installer.tar", message: "truncated" }];
    expect(exitCode(result([], broken), "none")).toBe(EXIT_INPUT);
    expect(exitCode(result([at("error")], broken), "error")).toBe(EXIT_INPUT);
    expect([EXIT_OK, EXIT_FINDINGS, EXIT_INPUT]).toEqual([0, 1, 2]);
  });
});
