import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openImageArchive } from "../../src/formats/oci/archive.js";
import { flattenImage, readImageFile } from "../../src/image/image-layers.js";
import { type BenchRow, timeOurs, timeTool } from "./harness.js";

const fixtures = join(import.meta.dirname, "../../../test/fixtures/out");

/**
 * `inspect` on a large image: Debian's 4023 modules in three layers (drivers; fs, net and sound; the rest
 * with modules.order and friends and a whiteout (drivers/staging)), as an OCI archive with zstd layers and as a docker-archive
 * with uncompressed ones; against GNU tar and zstd listing the same layers, and reading one file.
 */
export async function bench(): Promise<BenchRow[]> {
  const modules = join(fixtures, "debian-kernel/modules");
  if (!existsSync(modules)) throw new Error("run `npm run fixtures` first (debian-kernel)");
  const work = mkdtempSync(join(tmpdir(), "bench-inspect-"));
  const sh = (cmd: string) =>
    execFileSync("bash", ["-euo", "pipefail", "-c", cmd], { cwd: work, encoding: "utf8", maxBuffer: 64 << 20 });
  try {
    const release = sh(`ls ${modules}`).trim();
    const m = `b/rootfs/usr/lib/modules/${release}`;
    sh(`umoci init --layout L && umoci new --image L:x
      umoci unpack --rootless --image L:x b >/dev/null && mkdir -p ${m}/kernel
      cp -a ${modules}/${release}/kernel/drivers ${m}/kernel/ && umoci repack --image L:x b && rm -rf b
      umoci unpack --rootless --image L:x b >/dev/null
      for d in fs net sound; do cp -a ${modules}/${release}/kernel/$d ${m}/kernel/; done
      umoci repack --image L:x b && rm -rf b
      umoci unpack --rootless --image L:x b >/dev/null
      cp -a ${modules}/${release}/. ${m}/ && rm -rf ${m}/kernel/drivers/staging && umoci repack --image L:x b
      skopeo copy --quiet --dest-compress --dest-compress-format zstd oci:L:x oci-archive:zstd.tar
      skopeo copy --quiet oci:L:x docker-archive:plain.tar:bench/modules:1`);
    const zstdLayers = sh(`skopeo inspect --raw oci-archive:zstd.tar | jq -r '.layers[].digest | sub("sha256:"; "")'`)
      .trim()
      .split("\n");
    const plainLayers = sh(`tar -xOf plain.tar manifest.json | jq -r '.[0].Layers[]'`).trim().split("\n");
    const count = Number(sh(`find ${modules} -name '*.ko' | wc -l`).trim());
    const target = `usr/lib/modules/${release}/modules.order`;

    const listing = async (file: string) => {
      const image = await openImageArchive(join(work, file));
      const tree = await flattenImage(image);
      for (const _ of tree.walk()) void _;
      await image.close();
    };
    /** Reading one file once the image is listed: the cost of opening content lazily. */
    const reading = async (file: string) => {
      const image = await openImageArchive(join(work, file));
      const tree = await flattenImage(image);
      const seconds = await timeOurs(() => readImageFile(image, tree, `/${target}`, 1 << 30));
      await image.close();
      return seconds;
    };
    const rows: BenchRow[] = [];
    const row = (name: string, ours: number, command: string, note?: string) => {
      const tool = timeTool(command);
      rows.push({
        name,
        oursSeconds: ours,
        toolSeconds: tool.seconds,
        toolPeakMiB: tool.peakMiB,
        toolCommand: command,
        ...(note ? { note } : {}),
      });
    };
    const each = (layers: string[], body: (l: string) => string) => layers.map(body).join("; ");
    const verified = "ours also reads each layer to its end and checks its digest and diff_id, which the tools do not";
    row(
      `inspect: list ${count} modules in 3 zstd layers`,
      await timeOurs(() => listing("zstd.tar")),
      `cd ${work}; ${each(zstdLayers, (l) => `tar -xOf zstd.tar blobs/sha256/${l} | zstd -dc | tar -tv >/dev/null`)}`,
      verified,
    );
    row(
      `inspect: list ${count} modules in 3 uncompressed layers (docker-archive)`,
      await timeOurs(() => listing("plain.tar")),
      `cd ${work}; ${each(plainLayers, (l) => `tar -xOf plain.tar ${l} | tar -tv >/dev/null`)}`,
      `${verified} (sha256 of the uncompressed tars is about 0.3 s of ours)`,
    );
    row(
      "read modules.order from the top zstd layer, once listed",
      await reading("zstd.tar"),
      `cd ${work}; tar -xOf zstd.tar blobs/sha256/${zstdLayers[2]} | zstd -dc | tar -xO ${target} >/dev/null`,
      "ours decodes the layer up to the member",
    );
    row(
      "read modules.order from the top uncompressed layer, once listed",
      await reading("plain.tar"),
      `cd ${work}; tar -xOf plain.tar ${plainLayers[2]} | tar -xO ${target} >/dev/null`,
      "ours reads the member in place",
    );
    return rows;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
