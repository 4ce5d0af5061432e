/**
 * --machine-config over the clean installer (P2P modules, NVreg_RegistryDwords in
 * /usr/local/lib/modprobe.d/nvidia.conf): machine.kernel.modules against the modules' parm entries, and the
 * modprobe.d settings machined's own load does not read.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { verify as verifyCommand } from "../../src/cli/verify.js";
import { runChecks } from "../../src/report/check.js";
import { MachineConfigError, parseMachineConfig } from "../../src/talos/machine-config.js";
import { checks } from "../../verify/checks/index.js";
import { loadModel } from "../../verify/load.js";
import type { VerifyModel } from "../../verify/model.js";
import { runCommand } from "../cli/run.js";

const INSTALLER = join(import.meta.dirname, "../fixtures/out/installer/clean/installer.tar");
const CONFIG = join(import.meta.dirname, "fixtures/machine-config.yaml");
const config = parseMachineConfig(readFileSync(CONFIG, "utf8"), "machine-config.yaml");

let model: VerifyModel;
beforeAll(async () => {
  model = { ...(await loadModel([{ role: "installer", file: INSTALLER }])), machineConfig: config };
});

const found = async (m: VerifyModel) =>
  (await runChecks(checks, m)).findings.map((f) => [
    f.code,
    f.artifact === INSTALLER ? "installer" : f.artifact,
    f.line,
    f.message,
  ]);

describe("verify --machine-config", () => {
  it("reads the v1alpha1 document's modules and skips the other documents", () => {
    expect(config.modules.map((m) => [m.name.value, m.parameters.map((p) => p.value)])).toEqual([
      ["nvidia", ["NVreg_EnableResizableBar=1", 'NVreg_RegistryDword="ForceP2P=17"']],
      ["nvidia_uvm", []],
    ]);
    expect(() => parseMachineConfig("machine: [\n", "bad.yaml")).toThrow(MachineConfigError);
  });

  it("names a parameter the module lacks, a module the installer lacks, and options machined never reads", async () => {
    expect(await found(model)).toEqual([
      [
        "TE6003",
        "installer",
        1,
        expect.stringMatching(
          /NVreg_RegistryDwords for nvidia: machine-config\.yaml lists nvidia in machine\.kernel\.modules without them, and machined reads no modprobe\.d/,
        ),
      ],
      [
        "TE6002",
        "machine-config.yaml",
        11,
        expect.stringMatching(
          /^nvidia has no parameter NVreg_RegistryDword \(it has NVreg_EnableResizableBar, NVreg_RegistryDwords\)/,
        ),
      ],
      [
        "TE6002",
        "machine-config.yaml",
        12,
        expect.stringMatching(/^nvidia_uvm is not a module of .*installer\.tar: machined fails to load it$/),
      ],
    ]);
  });

  it("says a blacklist does not stop machined's load of a module the configuration lists", async () => {
    const [a] = model.artifacts;
    if (a === undefined) throw new Error("no artifact");
    const conf = {
      location: `${a.file}!/usr/local/lib/modprobe.d/blacklist.conf`,
      layer: "nvidia-p2p",
      path: "/usr/local/lib/modprobe.d/blacklist.conf",
      text: "# keep it out\nblacklist nvidia\n",
    };
    const findings = await found({ ...model, artifacts: [{ ...a, modprobe: [...a.modprobe, conf] }] });
    expect(findings.filter((f) => f[0] === "TE6003").map((f) => f[3])).toContainEqual(
      expect.stringMatching(
        /blacklist\.conf:2: blacklists nvidia, which machine-config\.yaml lists .*machined loads it anyway/,
      ),
    );
  });

  it("is an option of the command; an unreadable configuration is an input error", async () => {
    expect((await runCommand(verifyCommand, INSTALLER, "--machine-config", CONFIG)).code).toBe(1);
    expect((await runCommand(verifyCommand, INSTALLER, "--machine-config", "/nonexistent.yaml")).code).toBe(2);
    expect((await runCommand(verifyCommand, INSTALLER)).code).toBe(0);
  });
});
