/**
 * Whether the kernel refuses a module whose signature is missing or bad on a given boot, or loads it tainted.
 * kernel/module/signing.c: sig_enforce starts as CONFIG_MODULE_SIG_FORCE and `module.sig_enforce` can only turn
 * it on (bool_enable_only); with it off, an unverified module is still refused when lockdown is at integrity or
 * above (security_locked_down(LOCKDOWN_MODULE_SIGNATURE)). Talos puts `module.sig_enforce=1` on the command line
 * from 1.12 (pkg/machinery/kernel), and a signed UKI boots with lockdown (TALOS.md: secure boot implies it).
 */
import type { KernelConfig } from "../formats/kernel/ikconfig.js";
import { compareSemver, parseSemverTolerant } from "./semver.js";

const SIG_ENFORCE_ARG_SINCE = parseSemverTolerant("v1.12.0");
const LOCKDOWN_ARG_BEFORE = parseSemverTolerant("v1.14.0");

/**
 * The arguments bearing on module signatures that Talos puts on a node's command line by default
 * (pkg/machinery/kernel DefaultArgs and SecureBootArgs with the imager's quirks): `module.sig_enforce=1` from
 * v1.12.0, and with Secure Boot `lockdown=confidentiality` before v1.14.0. A machine config can drop the first
 * (`-module.sig_enforce`) at install time, which an installer image does not show.
 */
export function talosDefaultArgs(talosVersion: string, secureBoot: boolean): string[] {
  const v = parseSemverTolerant(talosVersion);
  return [
    ...(compareSemver(v, SIG_ENFORCE_ARG_SINCE) >= 0 ? ["module.sig_enforce=1"] : []),
    ...(secureBoot && compareSemver(v, LOCKDOWN_ARG_BEFORE) < 0 ? ["lockdown=confidentiality"] : []),
  ];
}

export interface EnforcementInputs {
  /** The kernel's built-in configuration, when it carries one. */
  readonly config?: KernelConfig;
  /** The command line the node boots with, when the artifact fixes it (a UKI's .cmdline). */
  readonly cmdline?: string;
  /** What the findings call that command line; "the command line" unless it is inferred (Talos' defaults). */
  readonly cmdlineOrigin?: string;
  /** The boot is Secure Boot: the UKI is signed. */
  readonly secureBoot: boolean;
}

export type Enforcement =
  | { readonly kind: "enforced"; readonly by: string }
  | { readonly kind: "off"; readonly why: string }
  /** Signature checking is not built in (CONFIG_MODULE_SIG unset): any module loads untainted. */
  | { readonly kind: "unchecked" }
  | { readonly kind: "unknown"; readonly why: string };

/** The kernel's words on the command line, split as parse_args splits them (double quotes group). */
export function cmdlineArgs(cmdline: string): { name: string; value?: string }[] {
  const out: { name: string; value?: string }[] = [];
  for (const m of cmdline.matchAll(/(?:[^\s"]+|"[^"]*")+/g)) {
    const word = m[0].replace(/"/g, "");
    const eq = word.indexOf("=");
    // parameq: dashes and underscores in a name are the same.
    const name = (eq < 0 ? word : word.slice(0, eq)).replace(/-/g, "_");
    out.push(eq < 0 ? { name } : { name, value: word.slice(eq + 1) });
  }
  return out;
}

/** kstrtobool (lib/kstrtox.c), as param_set_bool reads a value; a bare flag is true. */
export function kernelBool(value: string | undefined): boolean | undefined {
  if (value === undefined || value === "") return true;
  const [a = "", b = ""] = value.toLowerCase();
  if ("eyt1".includes(a)) return true;
  if ("dnf0".includes(a)) return false;
  if (a === "o" && b === "n") return true;
  if (a === "o" && b === "f") return false;
  return undefined;
}

const LOCKDOWN_ENFORCES = new Set(["integrity", "confidentiality"]);

export function moduleSignatureEnforcement(inputs: EnforcementInputs): Enforcement {
  const { config, cmdline, secureBoot } = inputs;
  const origin = inputs.cmdlineOrigin ?? "the command line";
  if (config?.get("CONFIG_MODULE_SIG") === "n") return { kind: "unchecked" };
  if (config?.get("CONFIG_MODULE_SIG_FORCE") === "y") return { kind: "enforced", by: "CONFIG_MODULE_SIG_FORCE=y" };
  for (const level of ["CONFIDENTIALITY", "INTEGRITY"]) {
    if (config?.get(`CONFIG_LOCK_DOWN_KERNEL_FORCE_${level}`) === "y") {
      return { kind: "enforced", by: `CONFIG_LOCK_DOWN_KERNEL_FORCE_${level}=y` };
    }
  }
  if (cmdline !== undefined) {
    // Neither can be undone by a later argument: sig_enforce is bool_enable_only and lock_kernel_down only
    // raises the level, so any one that turns it on counts, wherever it stands.
    const args = cmdlineArgs(cmdline);
    const sig = args.find((a) => a.name === "module.sig_enforce" && kernelBool(a.value) === true);
    if (sig !== undefined) return { kind: "enforced", by: `module.sig_enforce=${sig.value ?? ""} on ${origin}` };
    const lockdown = args.find((a) => a.name === "lockdown" && LOCKDOWN_ENFORCES.has(a.value ?? ""));
    if (lockdown !== undefined) return { kind: "enforced", by: `lockdown=${lockdown.value} on ${origin}` };
  }
  if (secureBoot) return { kind: "enforced", by: "Secure Boot (the UKI is signed, so the kernel boots locked down)" };
  if (config === undefined) {
    return {
      kind: "unknown",
      why: "the kernel carries no configuration (CONFIG_IKCONFIG) to read MODULE_SIG_FORCE from",
    };
  }
  if (cmdline === undefined) {
    return { kind: "unknown", why: "CONFIG_MODULE_SIG_FORCE is off and the command line is set at install time" };
  }
  return {
    kind: "off",
    why: `CONFIG_MODULE_SIG_FORCE is off, and neither module.sig_enforce=1 nor lockdown is on ${origin}`,
  };
}
