import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BenchRow, timeTool } from "./harness.js";

const debian = join(import.meta.dirname, "../../../test/fixtures/out/debian-kernel");

interface Run {
  seconds: number;
  rssMiB: number;
  modules: number;
  findings: number;
}

/**
 * `verify` run in a process of its own (./run/verify.ts), so its peak memory is its alone: the best time of
 * `runs`, and the largest peak.
 */
function ours(installer: string, runs = 3): Run {
  const all: Run[] = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(process.execPath, [join(import.meta.dirname, "run/verify.js"), installer], {
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`verify failed (${r.status}): ${r.stderr}`);
    all.push(JSON.parse(r.stdout.trim().split("\n").pop() as string));
  }
  const best = all.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  return { ...best, rssMiB: Math.max(...all.map((r) => r.rssMiB)) };
}

/**
 * `verify` on an installer shaped like Talos' with Debian's whole module tree (4023 signed modules) in a zstd
 * rootfs.sqsh inside a zstd initramfs, against the shell pipeline that reads the same (tar, zstd, cpio,
 * unsquashfs into tmpfs, modinfo for every module's signer) and against `unsquashfs -d` into tmpfs alone (the
 * floor: reading the image at all). Then the same with the tree twice and four times over, under other
 * directory names and stored again each time (no duplicate detection), so the image grows with it: verify
 * never holds the image, so its peak memory grows only with the facts of the modules it reads.
 */
export async function bench(): Promise<BenchRow[]> {
  const release = readFileSync(join(debian, "release"), "utf8").trim();
  const rows: BenchRow[] = [];
  for (const copies of [1, 2, 4]) {
    const work = mkdtempSync(join(tmpdir(), "bench-verify-"));
    const sh = (cmd: string) => execFileSync("bash", ["-euo", "pipefail", "-c", cmd], { cwd: work, stdio: "ignore" });
    sh(`mkdir -p root/usr/lib/modules init/usr/install/amd64 base
        cp -a ${debian}/modules/${release} root/usr/lib/modules/
        for i in $(seq 2 ${copies}); do cp -a root/usr/lib/modules/${release} root/usr/lib/modules/copy-$i; done
        mksquashfs root base/rootfs.sqsh -all-root -noappend -no-progress -no-duplicates -comp zstd >/dev/null
        printf '#!/bin/sh\\n' > base/init
        (cd base && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet --reproducible -H newc -o) | zstd -q -T0 -3 > init/usr/install/amd64/initramfs.xz
        cp ${debian}/vmlinuz init/usr/install/amd64/vmlinuz
        umoci init --layout L && umoci new --image L:x && umoci unpack --rootless --image L:x b >/dev/null
        cp -a init/. b/rootfs/ && umoci repack --image L:x b
        skopeo copy --quiet oci:L:x docker-archive:installer.tar:installer:bench`);
    const installer = join(work, "installer.tar");
    const layer = JSON.parse(execFileSync("tar", ["-xOf", installer, "manifest.json"], { encoding: "utf8" }))[0]
      .Layers[0];
    const extract = `tar -xOf installer.tar ${layer} | tar -xOf - usr/install/amd64/initramfs.xz | zstd -dc | (cd /dev/shm/tev && cpio --quiet -id rootfs.sqsh)`;
    const gate = [
      `cd ${work} && rm -rf /dev/shm/tev && mkdir -p /dev/shm/tev`,
      extract,
      "unsquashfs -q -n -d /dev/shm/tev/root /dev/shm/tev/rootfs.sqsh >/dev/null",
      "find /dev/shm/tev/root -name '*.ko' -print0 | xargs -0 /sbin/modinfo -F signer >/dev/null",
      "rm -rf /dev/shm/tev",
    ].join(" && ");
    // The floor reads the image already taken out of the installer: unsquashfs alone is timed.
    sh(`rm -rf /dev/shm/tev && mkdir -p /dev/shm/tev && ${extract.replace("installer.tar", installer)}`);
    const floor =
      "rm -rf /dev/shm/tev/root && unsquashfs -q -n -d /dev/shm/tev/root /dev/shm/tev/rootfs.sqsh >/dev/null";
    const floorTime = timeTool(floor, 3);
    const gateTime = copies === 1 ? timeTool(gate, 3) : undefined;
    const run = ours(installer);
    execFileSync("rm", ["-rf", "/dev/shm/tev"]);
    if (run.modules !== 4023 * copies) throw new Error(`expected ${4023 * copies} modules, got ${run.modules}`);
    if (copies === 1 && run.findings !== 0) throw new Error(`expected no findings, got ${run.findings}`);
    const sqshMiB = statSync(join(work, "base/rootfs.sqsh")).size / 2 ** 20;
    const note = `rootfs.sqsh ${sqshMiB.toFixed(0)} MiB; verify peak RSS ${run.rssMiB.toFixed(0)} MiB`;
    const name = `verify: ${run.modules} Debian modules (${copies}x the tree), every signature verified`;
    if (gateTime) {
      rows.push({
        name: `${name}, vs the shell gate`,
        oursSeconds: run.seconds,
        toolSeconds: gateTime.seconds,
        toolPeakMiB: gateTime.peakMiB,
        oursPeakMiB: run.rssMiB,
        toolCommand: gate.replaceAll(work, "$WORK"),
        note,
      });
    }
    rows.push({
      name: `${name}, vs the unsquashfs floor`,
      oursSeconds: run.seconds,
      toolSeconds: floorTime.seconds,
      toolPeakMiB: floorTime.peakMiB,
      oursPeakMiB: run.rssMiB,
      toolCommand: floor,
      note,
    });
    execFileSync("rm", ["-rf", work]);
  }
  return rows;
}
