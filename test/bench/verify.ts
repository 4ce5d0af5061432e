import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runChecks } from "../../src/report/check.js";
import { checks } from "../../verify/checks/index.js";
import { loadModel } from "../../verify/load.js";
import { type BenchRow, timeOurs, timeTool } from "./harness.js";

const debian = join(import.meta.dirname, "../../../test/fixtures/out/debian-kernel");

/**
 * `verify` on an installer shaped like Talos' with Debian's whole module tree (4023 signed modules) in a zstd
 * rootfs.sqsh inside a zstd initramfs, against the shell pipeline that reads the same: tar, zstd, cpio,
 * unsquashfs into tmpfs, and modinfo for every module's signer.
 */
export async function bench(): Promise<BenchRow[]> {
  const release = readFileSync(join(debian, "release"), "utf8").trim();
  const work = mkdtempSync(join(tmpdir(), "bench-verify-"));
  const sh = (cmd: string) => execFileSync("bash", ["-euo", "pipefail", "-c", cmd], { cwd: work, stdio: "ignore" });
  sh(`mkdir -p root/usr/lib/modules init/usr/install/amd64 base
      cp -a ${debian}/modules/${release} root/usr/lib/modules/
      mksquashfs root base/rootfs.sqsh -all-root -noappend -no-progress -comp zstd >/dev/null
      printf '#!/bin/sh\\n' > base/init
      (cd base && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet --reproducible -H newc -o) | zstd -q -T0 -3 > init/usr/install/amd64/initramfs.xz
      cp ${debian}/vmlinuz init/usr/install/amd64/vmlinuz
      umoci init --layout L && umoci new --image L:x && umoci unpack --rootless --image L:x b >/dev/null
      cp -a init/. b/rootfs/ && umoci repack --image L:x b
      skopeo copy --quiet oci:L:x docker-archive:installer.tar:installer:bench`);
  const manifest = JSON.parse(
    execFileSync("tar", ["-xOf", join(work, "installer.tar"), "manifest.json"], { encoding: "utf8" }),
  );
  const shell = [
    `cd ${work} && rm -rf /dev/shm/tev && mkdir -p /dev/shm/tev`,
    `tar -xOf installer.tar ${manifest[0].Layers[0]} | tar -xOf - usr/install/amd64/initramfs.xz | zstd -dc | (cd /dev/shm/tev && cpio --quiet -id rootfs.sqsh)`,
    "unsquashfs -q -n -d /dev/shm/tev/root /dev/shm/tev/rootfs.sqsh >/dev/null",
    "find /dev/shm/tev/root -name '*.ko' -print0 | xargs -0 /sbin/modinfo -F signer >/dev/null",
    "rm -rf /dev/shm/tev",
  ].join(" && ");
  const tool = timeTool(shell, 1);
  const ours = await timeOurs(async () => {
    const model = await loadModel([{ role: "installer", file: join(work, "installer.tar") }]);
    const result = await runChecks(checks, model);
    if (model.artifacts[0]?.modules.length !== 4023) throw new Error("expected 4023 modules");
    if (result.findings.length !== 0) throw new Error(`expected no findings, got ${result.findings.length}`);
  }, 1);
  // verify holds one SquashFS at a time (it sits inside a compressed segment and needs random access): its
  // peak memory is this size plus what the facts take, whatever the rest of the installer holds.
  const sqshMiB = statSync(join(work, "base/rootfs.sqsh")).size / 2 ** 20;
  execFileSync("rm", ["-rf", work]);
  return [
    {
      name: "verify: installer with 4023 Debian modules (ours also verifies every signature)",
      oursSeconds: ours,
      toolSeconds: tool.seconds,
      toolPeakMiB: tool.peakMiB,
      toolCommand: shell.replaceAll(work, "$WORK"),
      note: `rootfs.sqsh is ${sqshMiB.toFixed(0)} MiB`,
    },
  ];
}
