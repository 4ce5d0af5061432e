import { type Check, findingOf } from "../../src/report/check.js";
import { type ArtifactFact, FIRMWARE_PATH, type VerifyModel } from "../model.js";

/**
 * Where the kernel looks for `name` (drivers/base/firmware_loader/main.c fw_path: updates/<release>, updates,
 * <release>, then the directory itself), under Talos' firmware directory and the pre-usr-merge one.
 */
function candidates(name: string, release: string | undefined): string[] {
  return ["/usr/lib/firmware", "/lib/firmware"].flatMap((dir) => [
    ...(release ? [`${dir}/updates/${release}/${name}`] : []),
    `${dir}/updates/${name}`,
    ...(release ? [`${dir}/${release}/${name}`] : []),
    `${dir}/${name}`,
  ]);
}

/** Every firmware file the node will have: what the initramfs carries and what the layers ship. */
function present(artifact: ArtifactFact): Set<string> {
  const out = new Set(artifact.firmware);
  for (const layer of artifact.layers) {
    for (const e of layer.entries) if (e.type !== "dir" && FIRMWARE_PATH.test(e.path)) out.add(e.path);
  }
  return out;
}

export const firmwareMissing: Check<VerifyModel> = {
  code: "TE3004",
  title: "Firmware a module asks for is not on the node",
  severity: "warning",
  explain:
    "A driver names the firmware it loads in .modinfo (firmware=); the kernel looks for it under /usr/lib/firmware " +
    "when the device probes. NVIDIA's open modules need their GSP firmware (nvidia/<version>/gsp_*.bin) of the " +
    "exact driver version: without it the module loads and the GPU stays unusable, with one line in the kernel log.",
  fix:
    "Ship the firmware the module names, from the same driver release, under /usr/lib/firmware in the extension " +
    "(the imager moves it into the initramfs), or add the firmware extension that carries it.",
  run(model) {
    return model.artifacts
      .filter((a) => a.layers.length > 0)
      .flatMap((artifact) => {
        const have = present(artifact);
        // The base rootfs lists firmware for every device it has a driver for; Talos ships none of it itself.
        return artifact.modules
          .filter((m) => m.layer !== "rootfs")
          .flatMap((m) => {
            const release = /^\/usr\/lib\/modules\/([^/]+)\//.exec(m.path)?.[1];
            const missing = m.firmware.filter((f) => !candidates(f, release).some((c) => have.has(c)));
            if (missing.length === 0) return [];
            return [
              findingOf(this, {
                artifact: artifact.file,
                path: m.location,
                message: `${m.name} (${m.layer}) asks for ${missing.join(", ")}, which no layer and not the initramfs carries under /usr/lib/firmware`,
              }),
            ];
          });
      });
  },
};
