import { type Check, findingOf } from "../../src/report/check.js";
import { bootBudget } from "../../src/talos/boot-budget.js";
import type { VerifyModel } from "../model.js";

const MIB = 1024 * 1024;
/** Below this share of the partition left free, the next release's larger assets may not fit. */
const SLACK = 0.1;

const mib = (n: number): string => `${(n / MIB).toFixed(1)} MiB`;

export const bootSize: Check<VerifyModel> = {
  code: "TE8003",
  title: "Boot assets do not fit the boot partition twice",
  severity: "warning",
  explain:
    "An upgrade writes the new kernel and initramfs (or UKI) beside the running ones before it switches, so the " +
    "partition that holds them must take two copies. Extensions are appended to the initramfs: a large one " +
    "(firmware, GPU userspace) can push it over, and the upgrade then fails on the node.",
  fix: "Drop what the node does not need from the extensions (firmware for other devices, debug files), or move large userspace into a container image.",
  run(model) {
    return model.artifacts.flatMap((a) => {
      if (a.boot === undefined || a.talosVersion === undefined) return [];
      const b = bootBudget(a.talosVersion, a.boot.layout, a.boot.assetsSize, a.boot.bootloader?.size ?? 0);
      if (b.margin >= b.size * SLACK) return [];
      const what = a.boot.layout === "uki" ? "two UKIs and systemd-boot" : "two copies of the kernel and initramfs";
      const verdict = b.margin < 0 ? `${mib(-b.margin)} too many` : `only ${mib(b.margin)} to spare`;
      return [
        findingOf(this, {
          artifact: a.file,
          message: `${what} take ${mib(b.needed)} of Talos ${a.talosVersion}'s ${b.partition} partition (${mib(b.size)}): ${verdict}`,
        }),
      ];
    });
  },
};
