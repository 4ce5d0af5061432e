import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SquashFs } from "../../src/formats/squashfs/reader.js";
import { squashfsLayer } from "../../src/image/squashfs-layer.js";
import { type FsTree, flatten } from "../../src/image/tree.js";
import { FileSource } from "../../src/io/source.js";
import { bash, type DiskEntry, diskTree, run, scratch, sha256 } from "../formats/oci/tools.js";

/**
 * A Talos-like boot overlay: a rootfs image and an extension image made by mksquashfs, stacked by the same
 * flatten that stacks image layers; unsquashfs of both into one directory (the extension last, -f) is the
 * expected tree, as overlayfs shows read-only lowers without whiteouts.
 */
let work: string;
let tree: FsTree;
let expected: Map<string, DiskEntry>;
const sources: FileSource[] = [];
beforeAll(async () => {
  work = scratch("sqsh-layer-");
  bash(`cd ${work} && mkdir -p root/etc root/usr/lib/modules/6.1/kernel root/usr/bin ext/usr/lib/modules/6.1/extra ext/etc
    echo base > root/etc/os-release && echo mod > root/usr/lib/modules/6.1/kernel/a.ko
    echo dep-old > root/usr/lib/modules/6.1/modules.dep && printf '#!/bin/sh\\n' > root/usr/bin/true
    chmod 755 root/usr/bin/true && ln root/usr/bin/true root/usr/bin/false && ln -s ../bin/true root/usr/lib/t
    echo ext > ext/usr/lib/modules/6.1/extra/nvidia.ko && echo dep-new > ext/usr/lib/modules/6.1/modules.dep
    setfattr -n user.tag -v 0x01ff ext/usr/lib/modules/6.1/extra/nvidia.ko && chmod 700 ext/etc
    mksquashfs root rootfs.sqsh -all-root -noappend -no-progress -comp zstd >/dev/null
    mksquashfs ext ext.sqsh -all-root -noappend -no-progress -comp xz >/dev/null
    unsquashfs -q -f -d merged rootfs.sqsh >/dev/null && unsquashfs -q -f -d merged ext.sqsh >/dev/null`);
  const layers = [];
  for (const name of ["rootfs.sqsh", "ext.sqsh"]) {
    const src = await FileSource.open(join(work, name));
    sources.push(src);
    layers.push(
      squashfsLayer(await SquashFs.open(src), name, name === "ext.sqsh" ? "extension" : "squashfs", src.name),
    );
  }
  tree = await flatten(layers);
  expected = diskTree(join(work, "merged"));
});
afterAll(async () => {
  for (const s of sources) await s.close();
  run("rm", ["-rf", work]);
});

describe("SquashFS layers in the one file-system model", () => {
  it("stack as unsquashfs -f of both into one directory: types, modes, sizes, link targets, contents", async () => {
    const ours: Record<string, unknown> = {};
    for (const e of tree.walk()) {
      let digest: string | undefined;
      if (e.type === "file") {
        const parts: Uint8Array[] = [];
        for await (const p of tree.open(e.path)) parts.push(p);
        digest = sha256(Buffer.concat(parts));
      }
      ours[e.path] = {
        type: e.type,
        mode: e.mode,
        size: e.size,
        ...(e.linkTarget !== undefined ? { link: e.linkTarget } : {}),
        ...(digest ? { sha256: digest } : {}),
      };
    }
    const theirs = Object.fromEntries([...expected].map(([p, { ino: _, ...d }]) => [p, d]));
    expect(ours).toEqual(theirs);
  });

  it("records which image provides a path and which it shadows; the root's attributes come from the images", () => {
    expect(tree.get("/usr/lib/modules/6.1/modules.dep")).toMatchObject({ layer: 1, shadowed: [0] });
    expect(tree.get("/usr/lib/modules/6.1/kernel/a.ko")).toMatchObject({ layer: 0, shadowed: [] });
    expect(tree.get("/etc")).toMatchObject({ layer: 1, shadowed: [0], mode: expected.get("/etc")?.mode });
    expect(tree.get("/")).toMatchObject({ layer: 1, shadowed: [0] });
  });

  it("carries xattrs as unsquashfs restores them, and hard links as one inode", () => {
    const xattrs = bash(`getfattr -d -m - -e hex ${join(work, "merged/usr/lib/modules/6.1/extra/nvidia.ko")}`);
    const e = tree.get("/usr/lib/modules/6.1/extra/nvidia.ko");
    expect(xattrs).toContain(`user.tag=0x${Buffer.from(e?.xattrs.get("user.tag") ?? []).toString("hex")}`);
    expect(expected.get("/usr/bin/true")?.ino).toBe(expected.get("/usr/bin/false")?.ino);
    expect(tree.get("/usr/bin/true")?.at).toBe(tree.get("/usr/bin/false")?.at);
  });
});
