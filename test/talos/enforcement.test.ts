import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseKernelConfig } from "../../src/formats/kernel/ikconfig.js";
import { cmdlineArgs, kernelBool, moduleSignatureEnforcement, talosDefaultArgs } from "../../src/talos/enforcement.js";

const fixtures = join(import.meta.dirname, "../fixtures");
/** Real build configurations: the tiny kernel's (MODULE_SIG on, FORCE off) and Debian's. */
const tiny = parseKernelConfig(readFileSync(join(fixtures, "committed/tiny-kernel/config"), "utf8"));
const debian = parseKernelConfig(readFileSync(join(fixtures, "out/debian-kernel/config"), "utf8"));
const forced = new Map([...tiny, ["CONFIG_MODULE_SIG_FORCE", "y"]]);
const unsigned = new Map([...tiny, ["CONFIG_MODULE_SIG", "n"]]);

describe("kernel configuration text", () => {
  it("reads set, unset and quoted values as Kconfig writes them", () => {
    expect(tiny.get("CONFIG_MODULE_SIG")).toBe("y");
    expect(tiny.get("CONFIG_MODULE_SIG_FORCE")).toBe("n");
    expect(tiny.get("CONFIG_MODULE_SIG_HASH")).toBe("sha512");
    expect(debian.get("CONFIG_CC_VERSION_TEXT")).toBe("gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0");
  });
});

describe("the command line as the kernel splits it", () => {
  it("groups quotes and treats dashes in names as underscores", () => {
    expect(cmdlineArgs('a=1 module.sig-enforce quiet b="x y"')).toEqual([
      { name: "a", value: "1" },
      { name: "module.sig_enforce" },
      { name: "quiet" },
      { name: "b", value: "x y" },
    ]);
  });

  it("reads booleans as kstrtobool does", () => {
    for (const v of [undefined, "", "1", "y", "Yes", "on", "t", "enable"]) expect(kernelBool(v)).toBe(true);
    for (const v of ["0", "n", "off", "f", "disable"]) expect(kernelBool(v)).toBe(false);
    expect(kernelBool("maybe")).toBeUndefined();
  });
});

describe("module signature enforcement on a boot", () => {
  it("is forced by CONFIG_MODULE_SIG_FORCE whatever the command line says", () => {
    expect(moduleSignatureEnforcement({ config: forced, cmdline: "module.sig_enforce=0", secureBoot: false })).toEqual({
      kind: "enforced",
      by: "CONFIG_MODULE_SIG_FORCE=y",
    });
  });

  it("is turned on by module.sig_enforce=1, and a later =0 does not turn it off (bool_enable_only)", () => {
    const r = moduleSignatureEnforcement({
      config: tiny,
      cmdline: "module.sig_enforce=1 console=ttyS0 module.sig_enforce=0",
      secureBoot: false,
    });
    expect(r).toEqual({ kind: "enforced", by: "module.sig_enforce=1 on the command line" });
  });

  it("is turned on by lockdown at integrity or above, which a later lockdown=none does not lower", () => {
    const r = moduleSignatureEnforcement({
      config: tiny,
      cmdline: "lockdown=integrity lockdown=none",
      secureBoot: false,
    });
    expect(r).toEqual({ kind: "enforced", by: "lockdown=integrity on the command line" });
  });

  it("comes with Secure Boot", () => {
    expect(moduleSignatureEnforcement({ config: tiny, cmdline: "quiet", secureBoot: true }).kind).toBe("enforced");
  });

  it("is off when nothing turns it on", () => {
    expect(
      moduleSignatureEnforcement({ config: tiny, cmdline: "module.sig_enforce=0 quiet", secureBoot: false }),
    ).toEqual({
      kind: "off",
      why: "CONFIG_MODULE_SIG_FORCE is off, and neither module.sig_enforce=1 nor lockdown is on the command line",
    });
  });

  it("is unknown without the kernel's configuration, or without a command line fixed in the artifact", () => {
    expect(moduleSignatureEnforcement({ cmdline: "quiet", secureBoot: false }).kind).toBe("unknown");
    expect(moduleSignatureEnforcement({ config: debian, secureBoot: false }).kind).toBe("unknown");
  });

  it("does not check signatures at all without CONFIG_MODULE_SIG", () => {
    expect(moduleSignatureEnforcement({ config: unsigned, cmdline: "module.sig_enforce=1", secureBoot: true })).toEqual(
      {
        kind: "unchecked",
      },
    );
  });
});

describe("Talos' default command line", () => {
  it("carries module.sig_enforce=1 from v1.12.0, and lockdown=confidentiality with Secure Boot before v1.14.0", () => {
    expect(talosDefaultArgs("v1.11.5", false)).toEqual([]);
    expect(talosDefaultArgs("v1.11.5", true)).toEqual(["lockdown=confidentiality"]);
    expect(talosDefaultArgs("v1.12.0", false)).toEqual(["module.sig_enforce=1"]);
    expect(talosDefaultArgs("v1.13.0", true)).toEqual(["module.sig_enforce=1", "lockdown=confidentiality"]);
    expect(talosDefaultArgs("v1.14.0", true)).toEqual(["module.sig_enforce=1"]);
  });
});
