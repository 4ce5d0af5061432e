import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { modeString } from "../../src/cli/inspect.js";
import { type Image, openImageArchive } from "../../src/formats/oci/archive.js";
import { flattenImage, imageLayer, readImageFile } from "../../src/image/image-layers.js";
import type { FsEntry, FsTree } from "../../src/image/tree.js";
import { FormatError } from "../../src/io/errors.js";
import {
  type DiskEntry,
  digestFault,
  diskTree,
  FORMATS,
  fixture,
  type GnuMember,
  gnuList,
  run,
  runText,
  scratch,
  sha256,
  transport,
  unpackLayout,
  xattrsOf,
} from "../formats/oci/tools.js";

/**
 * umoci's rootless unpack of the gzip copy is the reference tree for every archive of the image (umoci reads
 * neither zstd nor docker-archive; skopeo copies the gzip one into a layout it reads).
 */
let work: string;
let rootfs: string;
let disk: Map<string, DiskEntry>;
/** GNU tar's listing of each layer tar (from the uncompressed copy). */
let listings: GnuMember[][];
beforeAll(() => {
  work = scratch("flatten-");
  const layout = join(work, "layout");
  runText("skopeo", ["copy", "--quiet", transport("oci-gzip.tar"), `oci:${layout}:x`]);
  runText("umoci", ["unpack", "--rootless", "--image", `${layout}:x`, join(work, "bundle")]);
  rootfs = join(work, "bundle/rootfs");
  disk = diskTree(rootfs);
  const plain = unpackLayout("oci-plain.tar");
  listings = plain.manifest.layers.map((l) => gnuList(plain.blob(l.digest)));
  run("rm", ["-rf", plain.dir]);
});
afterAll(() => run("rm", ["-rf", work]));

async function flat(name: string): Promise<{ image: Image; tree: FsTree }> {
  const image = await openImageArchive(fixture(name));
  return { image, tree: await flattenImage(image) };
}

/** Our entry as umoci's rootless unpack writes it: a hard link is a file; a device node an empty file. */
async function asDisk(image: Image, tree: FsTree, e: FsEntry) {
  const base = { mode: e.mode };
  switch (e.type) {
    case "dir":
      return { ...base, type: "dir", size: 0 };
    case "symlink":
      return { ...base, type: "symlink", size: 0, link: e.linkTarget };
    case "fifo":
      return { ...base, type: "fifo", size: 0 };
    case "char":
    case "block":
      return { ...base, type: "file", size: 0, sha256: sha256(new Uint8Array(0)) };
    default: {
      const bytes = await readImageFile(image, tree, e.path, 1 << 20);
      return { ...base, type: "file", size: bytes.length, sha256: sha256(bytes) };
    }
  }
}

describe("flattened view against umoci unpack", () => {
  it.each(FORMATS)("%s: same paths, types, modes, sizes, link targets and contents", async (name) => {
    const { image, tree } = await flat(name);
    const ours: Record<string, unknown> = {};
    for (const e of tree.walk()) ours[e.path] = await asDisk(image, tree, e);
    await image.close();
    const theirs = Object.fromEntries([...disk].map(([p, { ino: _, ...d }]) => [p, d]));
    expect(ours).toEqual(theirs);
  });

  it("devices, which umoci's rootless unpack makes empty files, are the nodes GNU tar lists", async () => {
    const { image, tree } = await flat("oci-gzip.tar");
    await image.close();
    const gnuDevices = listings.flat().filter((m) => m.mode[0] === "c" || m.mode[0] === "b");
    expect(gnuDevices.length).toBe(2);
    for (const m of gnuDevices) {
      const e = tree.get(m.path) as FsEntry;
      expect(`${e.rdev?.major},${e.rdev?.minor}`).toBe(m.size);
      expect(modeString(e.type, e.mode)).toBe(m.mode);
    }
  });

  it("hard links share their target's content, as the inodes umoci made do, even across layers", async () => {
    const { image, tree } = await flat("oci-gzip.tar");
    const links = [...tree.walk()].filter((e) => e.type === "hardlink");
    expect(links.length).toBe(2);
    for (const l of links) {
      expect(disk.get(l.path)?.ino).toBe(disk.get(l.linkTarget as string)?.ino);
      expect(l.content).toBe(tree.get(l.linkTarget as string)?.content);
    }
    // One content, one call with every path that shares it.
    const calls: string[][] = [];
    await tree.readFiles([...links.map((l) => l.path), links[0]?.linkTarget as string], async (paths, body) => {
      for await (const _ of body) void _;
      calls.push([...paths].sort());
    });
    expect(calls).toEqual([[links[0]?.linkTarget as string, ...links.map((l) => l.path)].sort()]);
    await image.close();
  });

  it("extended attributes as umoci restores them", async () => {
    const theirs = xattrsOf(rootfs);
    const { image, tree } = await flat("oci-zstd.tar");
    await image.close();
    let seen = 0;
    for (const e of tree.walk()) {
      const ours = Object.fromEntries([...e.xattrs].map(([k, v]) => [k, Buffer.from(v).toString("hex")]));
      expect({ path: e.path, xattrs: ours }).toEqual({
        path: e.path,
        xattrs: Object.fromEntries(theirs.get(e.path) ?? []),
      });
      seen += e.xattrs.size;
    }
    expect(seen).toBeGreaterThanOrEqual(3);
  });
});

describe("provenance against each layer's GNU tar listing", () => {
  it("a path's layer lists it, every layer it shadows lists it, and no higher layer does", async () => {
    const { image, tree } = await flat("oci-mixed.tar");
    await image.close();
    const listed = listings.map((l) => new Set(l.map((m) => m.path)));
    for (const e of tree.walk()) {
      const written = e.writtenAs ?? e.path;
      if (e.implicit) expect(listed[e.layer]?.has(written)).toBe(false);
      else
        expect({ path: written, in: e.layer, listed: listed[e.layer]?.has(written) }).toMatchObject({ listed: true });
      for (const s of e.shadowed)
        expect({ path: e.path, shadowed: s, listed: listed[s]?.has(e.path) }).toMatchObject({ listed: true });
      for (let up = e.layer + 1; up < listed.length; up++) expect(listed[up]?.has(written)).toBe(false);
    }
  });

  it("every member of the top layer is in the tree, provided by it", async () => {
    const { image, tree } = await flat("docker25.tar");
    await image.close();
    const top = listings.length - 1;
    for (const m of listings[top] ?? []) {
      expect(tree.get(m.path)?.layer).toBe(top);
      expect(tree.get(m.path)?.shadowed).toEqual([top - 1]); // the identical layer below
    }
  });

  it("whiteouts and the opaque marker leave no trace; what they hid came from lower layers only", async () => {
    const { image, tree } = await flat("legacy.tar");
    await image.close();
    const markers = listings.flatMap((l, i) =>
      l.filter((m) => m.path.split("/").pop()?.startsWith(".wh.")).map((m) => ({ ...m, layer: i })),
    );
    expect(markers.length).toBe(3);
    for (const m of markers) {
      expect(tree.get(m.path)).toBeUndefined();
      const dir = m.path.slice(0, m.path.lastIndexOf("/"));
      const name = m.path.slice(dir.length + 1);
      if (name === ".wh..wh..opq") {
        // Only the marker's own layer provides what the directory holds now.
        for (const c of tree.walk(dir)) expect(c.layer).toBe(m.layer);
        expect(disk.has(`${dir}/keep`)).toBe(false);
      } else expect(tree.get(`${dir}/${name.slice(4)}`)).toBeUndefined();
    }
  });

  it("a member written below a symlinked directory lands where the symlink points, as umoci puts it", async () => {
    const { image, tree } = await flat("oci-plain.tar");
    await image.close();
    const moved = [...tree.walk()].filter((e) => e.writtenAs !== undefined);
    expect(moved.length).toBe(1);
    for (const e of moved) {
      expect(disk.has(e.path)).toBe(true);
      expect(tree.get(e.writtenAs as string)?.path).toBe(e.path); // lookups follow the symlink too
    }
  });
});

describe("digests", () => {
  it.each([
    "bad-data-gzip.tar",
    "bad-data-plain.tar",
    "bad-data-legacy.tar",
    "bad-diffid-gzip.tar",
    "bad-diffid-plain.tar",
    "bad-diffid-legacy.tar",
  ])("%s: flattenImage reads every layer to its end and refuses the image, so no file of it is read", async (name) => {
    const image = await openImageArchive(fixture(name));
    const err = await flattenImage(image).catch((e: unknown) => e);
    await image.close();
    expect(err).toBeInstanceOf(FormatError);
    expect(err).toMatchObject({ file: fixture(name), ...digestFault(name) });
  });
});

describe("lazy content", () => {
  it("reads a file in place from an uncompressed layer and by decoding a compressed one, with the same bytes", async () => {
    const plain = await flat("oci-plain.tar");
    const gzip = await flat("oci-gzip.tar");
    const path = "/usr/lib/blob.bin";
    const p = plain.tree.contentRef(path);
    const g = gzip.tree.contentRef(path);
    expect(imageLayer(plain.image.layers[p.layer] as never, "x").slice(p.entry)).toBeDefined();
    expect(imageLayer(gzip.image.layers[g.layer] as never, "x").slice(g.entry)).toBeUndefined();
    const a = await readImageFile(plain.image, plain.tree, path, 1 << 20);
    const b = await readImageFile(gzip.image, gzip.tree, path, 1 << 20);
    expect(sha256(a)).toBe(disk.get(path)?.sha256);
    expect(sha256(b)).toBe(sha256(a));
    await plain.image.close();
    await gzip.image.close();
  });

  it("refuses a file over the caller's bound before reading it", async () => {
    const { image, tree } = await flat("oci-zstd.tar");
    await expect(readImageFile(image, tree, "/usr/lib/blob.bin", 1000)).rejects.toThrow(/over the limit of 1000/);
    await image.close();
  });
});
