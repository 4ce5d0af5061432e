import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listInitramfs } from "../../src/formats/initramfs/reader.js";
import { openImageArchive } from "../../src/formats/oci/archive.js";
import { flattenImage, imageFileSource } from "../../src/image/image-layers.js";
import { type BenchRow, timeOurs, timeTool } from "./harness.js";

const debian = join(import.meta.dirname, "../../../test/fixtures/out/debian-kernel");
const INITRAMFS = "usr/install/amd64/initramfs.xz";

/**
 * `inspect IMAGE /usr/install/amd64/initramfs.xz` on an initramfs shaped like Talos' (an uncompressed cpio,
 * a zstd cpio with Debian's whole module tree, an xz `-C crc32` cpio as the imager appends extensions) in an
 * image layer, against tar, zstd, xz and GNU cpio listing the same segments.
 */
export async function bench(): Promise<BenchRow[]> {
  const release = readFileSync(join(debian, "release"), "utf8").trim();
  const work = mkdtempSync(join(tmpdir(), "bench-initramfs-"));
  const sh = (cmd: string) =>
    execFileSync("bash", ["-euo", "pipefail", "-c", cmd], { cwd: work, encoding: "utf8", maxBuffer: 64 << 20 });
  const newc = "LC_ALL=C sort | cpio --quiet --reproducible -H newc -o";
  try {
    sh(`mkdir -p ucode/kernel/x86/microcode mods/usr/lib/modules ext/rootfs/usr/local/lib init/usr/install/amd64
        head -c 65536 /dev/urandom > ucode/kernel/x86/microcode/GenuineIntel.bin
        cp -a ${debian}/modules/${release} mods/usr/lib/modules/
        cp -a ${debian}/modules/${release}/kernel/fs ext/rootfs/usr/local/lib/
        (cd ucode && find . -mindepth 1 | ${newc}) > seg0
        (cd mods && find . -mindepth 1 | ${newc}) | zstd -q -T0 -3 > seg1
        (cd ext && find . -mindepth 1 | ${newc}) | xz -q -T0 -C crc32 > seg2
        cat seg0 seg1 seg2 > init/${INITRAMFS}
        umoci init --layout L && umoci new --image L:x && umoci unpack --rootless --image L:x b >/dev/null
        cp -a init/. b/rootfs/ && umoci repack --image L:x b
        skopeo copy --quiet oci:L:x docker-archive:installer.tar:installer:bench`);
    const layer = JSON.parse(sh("tar -xOf installer.tar manifest.json"))[0].Layers[0] as string;
    const [len0, len1] = ["seg0", "seg1"].map((f) => statSync(join(work, f)).size) as [number, number];
    const extract = `cd ${work} && tar -xOf installer.tar ${layer} | tar -xO ${INITRAMFS} > /dev/shm/tei`;
    const listings = [
      "cpio --quiet -itv < /dev/shm/tei",
      `head -c $((${len0} + ${len1})) /dev/shm/tei | tail -c ${len1} | zstd -dc | cpio --quiet -itv`,
      `tail -c +$((${len0} + ${len1} + 1)) /dev/shm/tei | xz -dc | cpio --quiet -itv`,
    ];
    const shell = `${extract} && { ${listings.join(" && ")}; } >/dev/null && rm /dev/shm/tei`;
    const toolEntries = Number(sh(`${extract} && { ${listings.join(" && ")}; } | wc -l`).trim());
    let ours = 0;
    const seconds = await timeOurs(async () => {
      const image = await openImageArchive(join(work, "installer.tar"));
      const tree = await flattenImage(image);
      const segments = await listInitramfs(await imageFileSource(image, tree, `/${INITRAMFS}`, 2 ** 30));
      ours = segments.reduce((n, s) => n + s.entries.length, 0);
      await image.close();
    });
    // GNU cpio does not list the trailer; both sides must have seen every entry.
    if (ours !== toolEntries) throw new Error(`ours listed ${ours} entries, cpio ${toolEntries}`);
    const tool = timeTool(shell);
    const mib = statSync(join(work, "init", INITRAMFS)).size / 2 ** 20;
    return [
      {
        name: `inspect: the ${ours} entries of a 3-segment initramfs (raw, zstd, xz) in an image layer`,
        oursSeconds: seconds,
        toolSeconds: tool.seconds,
        toolPeakMiB: tool.peakMiB,
        toolCommand: shell.replaceAll(work, "$WORK"),
        note: `initramfs is ${mib.toFixed(0)} MiB, read in place from the uncompressed layer`,
      },
    ];
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync("/dev/shm/tei", { force: true });
  }
}
