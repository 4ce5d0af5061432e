import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listInitramfs } from "../../src/formats/initramfs/index.js";
import { openImageArchive } from "../../src/formats/oci/archive.js";
import { flattenImage } from "../../src/image/image-layers.js";
import { FileSource } from "../../src/io/source.js";
import { type BenchRow, timeOurs, timeTool } from "./harness.js";

const fixtures = join(import.meta.dirname, "../../../test/fixtures/out");

/**
 * `inspect` on a large image (Debian's whole module tree as one zstd layer) against tar + zstd listing the
 * same layer, and the initramfs split against zstd + cpio listing the same member.
 */
export async function bench(): Promise<BenchRow[]> {
  const modules = join(fixtures, "debian-kernel/modules");
  if (!existsSync(modules)) throw new Error("run `npm run fixtures` first (debian-kernel)");
  const work = mkdtempSync(join(tmpdir(), "bench-inspect-"));
  const sh = (cmd: string) => execFileSync("bash", ["-euo", "pipefail", "-c", cmd], { cwd: work, stdio: "ignore" });
  sh(`umoci init --layout L && umoci new --image L:x && umoci unpack --rootless --image L:x b >/dev/null
      mkdir -p b/rootfs/usr/lib && cp -a ${modules} b/rootfs/usr/lib/modules && umoci repack --image L:x b
      skopeo copy --quiet --dest-compress --dest-compress-format zstd oci:L:x oci-archive:image.tar`);
  const index = JSON.parse(execFileSync("tar", ["-xOf", join(work, "image.tar"), "index.json"], { encoding: "utf8" }));
  const manifest = JSON.parse(
    execFileSync("tar", ["-xOf", join(work, "image.tar"), `blobs/sha256/${index.manifests[0].digest.slice(7)}`], {
      encoding: "utf8",
    }),
  );
  const layer = `blobs/sha256/${manifest.layers[0].digest.slice(7)}`;
  const rows: BenchRow[] = [];

  const listCmd = `tar -xOf ${work}/image.tar ${layer} | zstd -dc | tar -tv >/dev/null`;
  const tool = timeTool(listCmd);
  rows.push({
    name: "inspect: list a 4000-module zstd image",
    oursSeconds: await timeOurs(async () => {
      const image = await openImageArchive(join(work, "image.tar"));
      await flattenImage(image);
      await image.close();
    }),
    toolSeconds: tool.seconds,
    toolPeakMiB: tool.peakMiB,
    toolCommand: listCmd,
  });

  // The initramfs of the example installer, its layer extracted once.
  const installer = join(fixtures, "installer/clean/installer.tar");
  const m = JSON.parse(execFileSync("tar", ["-xOf", installer, "manifest.json"], { encoding: "utf8" }));
  sh(`tar -xOf ${installer} ${m[0].Layers[0]} | tar -xf - -C . usr/install/amd64/initramfs.xz`);
  const initramfs = join(work, "usr/install/amd64/initramfs.xz");
  const probe = await FileSource.open(initramfs);
  const segs = await listInitramfs(probe);
  await probe.close();
  const base = segs[1];
  if (base === undefined) throw new Error("expected a zstd segment");
  const cpioCmd = `head -c ${base.offset + base.length} ${initramfs} | tail -c ${base.length} | zstd -dc | cpio --quiet -it >/dev/null`;
  const t2 = timeTool(cpioCmd);
  rows.push({
    name: "inspect: split and list the example initramfs",
    oursSeconds: await timeOurs(async () => {
      const src = await FileSource.open(initramfs);
      await listInitramfs(src);
      await src.close();
    }),
    toolSeconds: t2.seconds,
    toolPeakMiB: t2.peakMiB,
    toolCommand: cpioCmd,
    note: `${readFileSync(initramfs).length} bytes`,
  });
  execFileSync("rm", ["-rf", work]);
  return rows;
}
