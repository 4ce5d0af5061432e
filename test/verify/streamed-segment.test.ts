/**
 * Extension layers too large to hold (over 32 MiB each), two of them in one zstd segment as the imager appends
 * them: both are streamed, read on one more decode of the segment, and judged like any other layer.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeImageArchive } from "../../src/formats/oci/write.js";
import { loadModel } from "../../verify/load.js";

const fixtures = join(import.meta.dirname, "../fixtures/out");
const work = mkdtempSync(join(tmpdir(), "verify-streamed-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const sh = (script: string) => execFileSync("bash", ["-euo", "pipefail", "-c", script], { cwd: work, stdio: "pipe" });

async function installer(): Promise<string> {
  sh(`mkdir -p base/root/etc ext img/usr/install/amd64
    echo 'NAME="Talos"' > base/root/etc/os-release
    mksquashfs base/root base/rootfs.sqsh -all-root -noappend -no-progress -quiet
    for x in a b; do
      mkdir -p $x/usr/lib/modules/6.1.0/extras $x/usr/local/share
      cp ${fixtures}/signed-modules/rsa.ko $x/usr/lib/modules/6.1.0/extras/$x.ko
      # Incompressible, so the image stays over the size that is held.
      head -c $((34 << 20)) /dev/urandom > $x/usr/local/share/blob
      mksquashfs $x ext/00$x.$x.sqsh -all-root -noappend -no-progress -quiet -comp zstd
    done
    printf 'layers:\\n  - image: 00a.a.sqsh\\n    metadata: {name: a, version: "1"}\\n  - image: 00b.b.sqsh\\n    metadata: {name: b, version: "1"}\\n' > ext/extensions.yaml
    (cd base && echo rootfs.sqsh | cpio --quiet -H newc -o) | zstd -q -1 > img/usr/install/amd64/initramfs.xz
    (cd ext && ls | LC_ALL=C sort | cpio --quiet -H newc -o) | zstd -q -1 >> img/usr/install/amd64/initramfs.xz
    tar -C img --sort=name --owner=0 --group=0 -cf layer.tar .`);
  const layer = join(work, "layer.tar");
  const digest = `sha256:${execFileSync("sha256sum", [layer], { encoding: "utf8" }).split(" ")[0]}`;
  const dest = join(work, "installer.tar");
  await writeImageArchive(
    dest,
    { path: layer, digest, size: statSync(layer).size },
    { ref: "streamed:1", os: "linux", architecture: "amd64", created: 0 },
  );
  return dest;
}

describe("SquashFS members too large to hold", () => {
  it("two in one segment are both read, each with its module and its entries", async () => {
    const file = await installer();
    expect(statSync(join(work, "ext/00a.a.sqsh")).size).toBeGreaterThan(32 << 20);
    const model = await loadModel([{ role: "installer", file }]);
    const artifact = model.artifacts[0];
    expect(artifact?.layers.map((l) => l.name)).toEqual(["rootfs", "a", "b"]);
    expect(artifact?.modules.map((m) => [m.layer, m.path])).toEqual([
      ["a", "/usr/lib/modules/6.1.0/extras/a.ko"],
      ["b", "/usr/lib/modules/6.1.0/extras/b.ko"],
    ]);
    expect(artifact?.modules.every((m) => m.signature !== undefined)).toBe(true);
    expect(artifact?.extensions.map((e) => e.entries.find((x) => x.path === "/usr/local/share/blob")?.size)).toEqual([
      34 << 20,
      34 << 20,
    ]);
    expect(artifact?.faults).toEqual([]);
  });
});
