import { describe, expect, it } from "vitest";
import { bootBudget, bootPartitionSize } from "../../src/talos/boot-budget.js";

const MIB = 1024 * 1024;

describe("the boot partition budget", () => {
  it("is 1000 MiB before v1.11.0 and 2000 MiB from it, pre-releases of 1.11 included", () => {
    expect(bootPartitionSize("v1.10.6", "grub")).toBe(1000 * MIB);
    expect(bootPartitionSize("v1.11.0-alpha.0", "grub")).toBe(1000 * MIB);
    expect(bootPartitionSize("v1.11.0", "grub")).toBe(2000 * MIB);
    expect(bootPartitionSize("v1.13.2", "grub")).toBe(2000 * MIB);
  });

  it("puts UKIs on the EFI partition, sized EFI + BIOS + BOOT", () => {
    expect(bootPartitionSize("v1.13.0", "uki")).toBe(2101 * MIB);
    expect(bootPartitionSize("v1.10.0", "uki")).toBe(1101 * MIB);
  });

  it("counts two copies of the assets and one bootloader", () => {
    expect(bootBudget("v1.13.0", "uki", 600 * MIB, 2 * MIB)).toEqual({
      partition: "EFI",
      size: 2101 * MIB,
      needed: 1202 * MIB,
      margin: 899 * MIB,
    });
    expect(bootBudget("v1.10.0", "grub", 520 * MIB).margin).toBe(-40 * MIB);
  });
});
