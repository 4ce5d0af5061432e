import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { splitInitramfs } from "../../src/formats/initramfs/reader.js";
import { initramfsSegmentLayer } from "../../src/image/initramfs-layer.js";
import { type FsTree, flatten } from "../../src/image/tree.js";
import { FileSource } from "../../src/io/source.js";
import { bash, diskTree, run, scratch, sha256, unpackLayout } from "../formats/oci/tools.js";

/**
 * An initramfs's segments stacked by the same flatten as image layers, as the kernel unpacks them one after
 * the other into one rootfs; GNU cpio extracting each segment (decoded by zstd/xz) into one directory, in
 * order and overwriting, is the expected tree.
 */
let work: string;
const sources: FileSource[] = [];
beforeAll(() => {
  work = scratch("initramfs-layer-");
});
afterAll(async () => {
  for (const s of sources) await s.close();
  run("rm", ["-rf", work]);
});

async function stack(file: string): Promise<FsTree> {
  const src = await FileSource.open(file);
  sources.push(src);
  return flatten((await splitInitramfs(src)).map((seg) => initramfsSegmentLayer(src, seg)));
}

/** GNU cpio's extraction into `dir` of each segment, given as a shell pipeline that prints it decoded. */
function extract(dir: string, decoders: string[]): void {
  bash(
    `mkdir -p ${dir} && cd ${dir} && ${decoders
      .map((d) => `${d} | cpio --quiet -idmu --no-absolute-filenames`)
      .join(" && ")}`,
  );
}

async function ours(tree: FsTree) {
  const out: Record<string, unknown> = {};
  for (const e of tree.walk()) {
    const parts: Uint8Array[] = [];
    if (e.content) for await (const p of tree.open(e.path)) parts.push(p);
    const type = e.type === "hardlink" ? "file" : e.type;
    out[e.path] = {
      type,
      mode: e.mode,
      size: e.size,
      ...(e.linkTarget !== undefined && e.type === "symlink" ? { link: e.linkTarget } : {}),
      ...(type === "file" ? { sha256: sha256(Buffer.concat(parts)) } : {}),
    };
  }
  return out;
}

const theirs = (dir: string) => Object.fromEntries([...diskTree(dir)].map(([p, { ino: _, ...d }]) => [p, d]));

describe("initramfs segments in the one file-system model", () => {
  it("the example installer's three segments stack as GNU cpio extracts them", async () => {
    const layout = unpackLayout("talos-like-docker.tar");
    const file = join(work, "initramfs.xz");
    writeFileSync(
      file,
      run("tar", ["-xOf", layout.blob(layout.manifest.layers[1]?.digest as string), "usr/install/amd64/initramfs.xz"]),
    );
    run("rm", ["-rf", layout.dir]);
    const tree = await stack(file);
    const segs = (await splitInitramfs(sources[sources.length - 1] as FileSource)).map(
      (s) => `head -c ${s.offset + s.length} ${file} | tail -c ${s.length}`,
    );
    extract(join(work, "example"), [segs[0] as string, `${segs[1]} | zstd -dc`, `${segs[2]} | xz -dc`]);
    expect(await ours(tree)).toEqual(theirs(join(work, "example")));
    expect(tree.get("/rootfs.sqsh")).toMatchObject({ layer: 1 });
    expect(tree.get("/extensions.yaml")).toMatchObject({ layer: 2 });
  });

  it("hard-linked members are one file, whichever member carries the bytes; a later segment shadows", async () => {
    const file = join(work, "links.cpio");
    bash(`cd ${work} && mkdir -p a/bin b/bin && printf 'one\\n' > a/bin/x && ln a/bin/x a/bin/y && ln a/bin/x a/bin/z
      echo keep > a/bin/k && echo new > b/bin/k
      (cd a && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R +0:+0) > ${file}
      (cd b && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R +0:+0 | zstd -q -c) >> ${file}`);
    const tree = await stack(file);
    const segs = (await splitInitramfs(sources[sources.length - 1] as FileSource)).map(
      (s) => `head -c ${s.offset + s.length} ${file} | tail -c ${s.length}`,
    );
    const dir = join(work, "links");
    extract(dir, [segs[0] as string, `${segs[1]} | zstd -dc`]);
    expect(await ours(tree)).toEqual(theirs(dir));
    const disk = diskTree(dir);
    expect(disk.get("/bin/x")?.ino).toBe(disk.get("/bin/y")?.ino);
    const links = ["/bin/x", "/bin/y", "/bin/z"].map((p) => tree.get(p));
    expect(links.filter((e) => e?.type === "file")).toHaveLength(1);
    expect(new Set(links.map((e) => e?.content))).toHaveProperty("size", 1);
    expect(tree.get("/bin/k")).toMatchObject({ layer: 1, shadowed: [0] });
  });
});
