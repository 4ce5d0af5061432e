import { describe, expect, it } from "vitest";
import {
  chainPath,
  compareFindings,
  countBySeverity,
  type Finding,
  type FindingCode,
  findingArea,
  sortFindings,
} from "../../src/report/finding.js";

const base: Finding = {
  code: "TE1001",
  severity: "error",
  title: "Module signed by a key the kernel does not trust",
  message: "nvidia.ko is signed by key 1a:2b, the kernel trusts only 3c:4d",
  artifact: "installer.tar",
  explain: "With module.sig_enforce=1 the kernel refuses the module and logs only to dmesg.",
  fix: "Sign the module with the key of the kernel build inside the installer.",
};

/** Every permutation of a small list. */
function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

describe("finding codes", () => {
  it("names the area of a code", () => {
    expect(findingArea("TE1001")).toBe("signing chain");
    expect(findingArea("TE2003")).toBe("vermagic");
    expect(findingArea("TE3001")).toBe("stomping");
    expect(findingArea("TE4001")).toBe("overlay");
    expect(findingArea("TE5001")).toBe("manifest");
    expect(findingArea("TE6001")).toBe("modprobe");
  });

  it("types codes: TE, a known area digit and three digits", () => {
    const ok: FindingCode[] = ["TE1000", "TE6999"];
    // @ts-expect-error area 0 does not exist
    const badArea: FindingCode = "TE0001";
    // @ts-expect-error three digits after the area
    const short: FindingCode = "TE101";
    expect([ok, badArea, short]).toHaveLength(3);
  });

  it("joins a chain of nested artifacts with !", () => {
    expect(
      chainPath("installer.tar", "/usr/install/amd64/initramfs.xz", "segment 2", "ext.sqsh", "/usr/lib/modules/x/n.ko"),
    ).toBe("installer.tar!/usr/install/amd64/initramfs.xz!segment 2!ext.sqsh!/usr/lib/modules/x/n.ko");
  });
});

describe("sortFindings", () => {
  const findings: Finding[] = [
    { ...base, artifact: "module.tar", path: chainPath("module.tar", "/rootfs/usr/lib/modules/x/nvidia.ko") },
    { ...base, path: chainPath("installer.tar", "/usr/install/amd64/vmlinuz"), code: "TE2001", severity: "warning" },
    { ...base, path: chainPath("installer.tar", "/usr/install/amd64/vmlinuz"), code: "TE1002" },
    { ...base, artifact: "extensions/nvidia/manifest.yaml", line: 10, column: 3, code: "TE5001", severity: "info" },
    { ...base, artifact: "extensions/nvidia/manifest.yaml", line: 3, column: 9, code: "TE5002", severity: "info" },
    { ...base, artifact: "extensions/nvidia/manifest.yaml", line: 3, column: 9, code: "TE5002", message: "another" },
  ];

  it("gives the same order for every input order", () => {
    const expected = sortFindings(findings);
    for (const p of permutations(findings)) expect(sortFindings(p)).toEqual(expected);
  });

  it("orders by artifact, path, line, column, then severity and code", () => {
    expect(sortFindings(findings).map((f) => [f.artifact, f.line ?? "-", f.code, f.severity])).toEqual([
      ["extensions/nvidia/manifest.yaml", 3, "TE5002", "error"],
      ["extensions/nvidia/manifest.yaml", 3, "TE5002", "info"],
      ["extensions/nvidia/manifest.yaml", 10, "TE5001", "info"],
      ["installer.tar", "-", "TE1002", "error"],
      ["installer.tar", "-", "TE2001", "warning"],
      ["module.tar", "-", "TE1001", "error"],
    ]);
  });

  it("does not depend on the locale's collation", () => {
    const upper = { ...base, artifact: "Z.tar" };
    const lower = { ...base, artifact: "a.tar" };
    expect(compareFindings(upper, lower)).toBeLessThan(0);
  });

  it("counts by severity", () => {
    expect(countBySeverity(findings)).toEqual({ error: 3, warning: 1, info: 2 });
  });
});
