/**
 * Whether a release's boot assets fit the partition that holds them, twice: an upgrade writes the new assets
 * next to the running ones (A/B) before it switches. Sizes are the imager's (pkg/machinery/imager/quirks
 * PartitionSizes; internal/pkg/partition/constants.go before the quirk): BOOT is 2000 MiB from v1.11.0
 * (7e6052e63, "increase boot partition to 2 GiB") and 1000 MiB before; with a UKI (systemd-boot) every asset
 * lives on the EFI partition instead, sized EFI (100 MiB) + BIOS (1 MiB) + BOOT.
 */
import { compareSemver, parseSemverTolerant } from "./semver.js";

const MIB = 1024 * 1024;
const BOOT_2000_SINCE = parseSemverTolerant("v1.11.0");

export type BootLayout = "grub" | "uki";

export interface BootBudget {
  readonly partition: "BOOT" | "EFI";
  readonly size: number;
  /** Two copies of the kernel and initramfs (GRUB), or two UKIs and systemd-boot. */
  readonly needed: number;
  /** size - needed: negative when the assets do not fit. */
  readonly margin: number;
}

export function bootPartitionSize(talosVersion: string, layout: BootLayout): number {
  const boot = (compareSemver(parseSemverTolerant(talosVersion), BOOT_2000_SINCE) >= 0 ? 2000 : 1000) * MIB;
  return layout === "grub" ? boot : 100 * MIB + 1 * MIB + boot;
}

/** `assets` are the sizes of one copy: kernel + initramfs, or the UKI (the bootloader then counted once). */
export function bootBudget(talosVersion: string, layout: BootLayout, assets: number, bootloader = 0): BootBudget {
  const size = bootPartitionSize(talosVersion, layout);
  const needed = 2 * assets + bootloader;
  return { partition: layout === "grub" ? "BOOT" : "EFI", size, needed, margin: size - needed };
}
