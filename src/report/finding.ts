/**
 * What `talos-ext verify` reports: one finding per fault, with a stable code, where it sits in the chain of
 * nested artifacts, why it breaks a node without a visible error, and how to fix it.
 */

export type Severity = "error" | "warning" | "info";

/** Most severe first. */
export const SEVERITIES: readonly Severity[] = ["error", "warning", "info"];

/** 0 for error, 1 for warning, 2 for info. */
export const severityRank = (s: Severity): number => SEVERITIES.indexOf(s);

/**
 * Codes are `TE` + an area digit + three digits. The area says which part of the chain is at fault;
 * a code, once published, keeps its meaning.
 */
export const FINDING_AREAS = {
  1: "signing chain", // module signatures against the kernel's built-in certificate, keys across artifacts
  2: "vermagic", // kernel release and module ABI: vermagic, the kernel embedded in the installer
  3: "stomping", // one layer's file replaced by another layer's file at the same path
  4: "overlay", // layer order and what the merged root shows: ld.so.cache, linker configuration
  5: "manifest", // manifest.yaml, extensions.yaml, allowed paths, the compatibility constraint
  6: "modprobe", // modprobe.d options and blacklists, module parameters such as NVreg_RegistryDwords
  7: "p2p", // measured GPU peer-to-peer on a node: peer access, bandwidth and latency with P2P off and on
  8: "boot", // boot assets: what a UKI boots, Secure Boot signatures, the boot partition's room
  9: "input", // a file inside a readable artifact that its reader refuses
} as const;

export type FindingArea = keyof typeof FINDING_AREAS;
type Digit = "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9";
export type FindingCode = `TE${FindingArea}${Digit}${Digit}${Digit}`;

/** The area name of a code, e.g. `signing chain` for TE1001. */
export const findingArea = (code: FindingCode): string => FINDING_AREAS[Number(code[2]) as FindingArea];

export interface Finding {
  readonly code: FindingCode;
  readonly severity: Severity;
  /** The check's title: the same for every finding of a code. */
  readonly title: string;
  /** This finding: names the module, key, path or value involved. */
  readonly message: string;
  /** The input the user gave, e.g. `installer.tar` or `extensions/nvidia/manifest.yaml`. */
  readonly artifact: string;
  /** Where inside the artifact, as a chain joined by `!` (see `chainPath`); absent for the artifact itself. */
  readonly path?: string;
  /** 1-based, for text files in a repository. */
  readonly line?: number;
  readonly column?: number;
  /** Why this breaks a node, and why nothing on the node says so. */
  readonly explain: string;
  /** What to change. */
  readonly fix: string;
  /**
   * Every item a grouped finding stands for (e.g. each module of a layer signed by an unknown key), for
   * machines: the message names a count and a few of them.
   */
  readonly details?: readonly FindingDetail[];
}

/** One item of a grouped finding, as named fields (module, path, signer, ...). */
export type FindingDetail = Readonly<Record<string, string>>;

/**
 * A location through nested artifacts: `installer.tar!/usr/install/amd64/initramfs.xz!segment 2!ext.sqsh!
 * /usr/lib/modules/x/nvidia.ko`. The first element is the artifact, each later one a member of the one before.
 */
export const chainPath = (artifact: string, ...members: string[]): string => [artifact, ...members].join("!");

// Code-unit order, not localeCompare: the same on every machine and locale.
const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Total order, the same for the same findings whatever order the checks produced them in: by artifact, then
 * path, line, column (absent first), then most severe first, then code and the texts.
 */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    byText(a.artifact, b.artifact) ||
    byText(a.path ?? "", b.path ?? "") ||
    (a.line ?? 0) - (b.line ?? 0) ||
    (a.column ?? 0) - (b.column ?? 0) ||
    severityRank(a.severity) - severityRank(b.severity) ||
    byText(a.code, b.code) ||
    byText(a.message, b.message) ||
    byText(a.title, b.title) ||
    byText(a.explain, b.explain) ||
    byText(a.fix, b.fix)
  );
}

export const sortFindings = (findings: Iterable<Finding>): Finding[] => [...findings].sort(compareFindings);

export type SeverityCounts = Record<Severity, number>;

export function countBySeverity(findings: Iterable<Finding>): SeverityCounts {
  const counts: SeverityCounts = { error: 0, warning: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return counts;
}
