import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TarLayer } from "../../src/image/tar-layer.js";
import { type FsTree, flatten } from "../../src/image/tree.js";
import { FormatError } from "../../src/io/errors.js";
import { FileSource, streamSource } from "../../src/io/source.js";
import { bash, diskTree, pyOffsets, run, scratch } from "../formats/oci/tools.js";

/**
 * Layers made by GNU tar in the order each case needs, flattened by us and unpacked by umoci (rootless), whose
 * tree is the expected one.
 */
let work: string;
const open: FileSource[] = [];
beforeAll(() => {
  work = scratch("tree-");
});
afterAll(async () => {
  for (const s of open) await s.close();
  run("rm", ["-rf", work]);
});

/**
 * A layer tar from a shell script run in an empty directory, then `tar --no-recursion` of the listed members
 * in that order, names (and hard link targets) rewritten by `transform`; `remove` members are deleted after
 * (to leave a hard link without its target).
 */
function layer(name: string, script: string, members: string[], remove: string[] = [], transform = ""): string {
  const dir = join(work, name);
  const file = `${dir}.tar`;
  bash(`mkdir -p ${dir} && cd ${dir} && ${script}
    tar --format=gnu --numeric-owner --owner=0 --group=0 --no-recursion ${transform ? `--transform '${transform}'` : ""} \
      -cf ${file} ${members.join(" ")}
    ${remove.map((r) => `tar --delete -f ${file} ${r}`).join("\n")}`);
  return file;
}

async function ours(files: string[]): Promise<FsTree> {
  const layers = [];
  for (const file of files) {
    const src = await FileSource.open(file);
    open.push(src);
    layers.push(
      new TarLayer({
        id: file,
        kind: "image-layer",
        description: file,
        open: () => streamSource(src),
        uncompressed: src,
      }),
    );
  }
  return flatten(layers);
}

/** umoci's unpack of the same layers, as path to type. */
function umoci(files: string[]): Record<string, string> {
  const tag = files.map((f) => f.replace(/^.*\//, "").replace(".tar", "")).join("-");
  const layout = join(work, `layout-${tag}`);
  bash(`umoci init --layout ${layout} && umoci new --image ${layout}:x
    ${files.map((f) => `umoci raw add-layer --image ${layout}:x ${f}`).join("\n")}
    umoci unpack --rootless --image ${layout}:x ${layout}-bundle >/dev/null`);
  return Object.fromEntries([...diskTree(join(`${layout}-bundle`, "rootfs"))].map(([p, e]) => [p, e.type]));
}

const types = (tree: FsTree) => Object.fromEntries([...tree.walk()].map((e) => [e.path, e.type]));

describe("whiteouts and opaque directories, as umoci applies them", () => {
  let base: string;
  beforeAll(() => {
    base = layer(
      "base",
      "mkdir -p d/sub/deep e && echo 1 > d/keep && echo 2 > d/sub/old && echo 3 > d/sub/deep/f && echo 4 > e/a && echo 5 > e/b",
      ["d", "d/keep", "d/sub", "d/sub/old", "d/sub/deep", "d/sub/deep/f", "e", "e/a", "e/b"],
    );
  });

  it("an opaque marker hides lower entries wherever it sits in its layer, nested directories included", async () => {
    const script = "mkdir -p d/sub && echo n > d/sub/new && echo f > d/fresh && : > d/.wh..wh..opq";
    const last = layer("opq-last", script, ["d", "d/fresh", "d/sub", "d/sub/new", "d/.wh..wh..opq"]);
    const first = layer("opq-first", script, ["d/.wh..wh..opq", "d", "d/sub", "d/sub/new", "d/fresh"]);
    const a = await ours([base, last]);
    const b = await ours([base, first]);
    expect(types(a)).toEqual(umoci([base, last]));
    expect(types(b)).toEqual(types(a));
    expect(a.get("/d/sub")).toMatchObject({ layer: 1, shadowed: [] });
    expect(b.get("/d/sub")).toMatchObject({ layer: 1, shadowed: [] });
  });

  it("a lower directory that holds the marker's own layer's entries stays, as an implicit directory of it", async () => {
    // No d/sub member: d/sub/new needs the lower d/sub, which the marker (after it) hides.
    const top = layer("opq-implicit", "mkdir -p d/sub && echo n > d/sub/new && : > d/.wh..wh..opq", [
      "d/sub/new",
      "d/.wh..wh..opq",
    ]);
    const tree = await ours([base, top]);
    expect(tree.get("/d/sub")).toMatchObject({ implicit: true, layer: 1 });
    expect(tree.children("/d/sub").map((e) => e.path)).toEqual(["/d/sub/new"]);
    expect(tree.get("/d/keep")).toBeUndefined();
  });

  it("a whiteout removes a lower subtree but never its own layer's entry, in either order", async () => {
    const before = layer("wh-before", "mkdir -p d e && : > d/.wh.sub && : > e/.wh.a && echo again > e/a", [
      "d/.wh.sub",
      "e/.wh.a",
      "e/a",
    ]);
    const after = layer("wh-after", "mkdir -p e && echo again > e/a && : > e/.wh.a", ["e/a", "e/.wh.a"]);
    const t1 = await ours([base, before]);
    expect(types(t1)).toEqual(umoci([base, before]));
    expect(t1.get("/e/a")).toMatchObject({ layer: 1, shadowed: [] });
    const t2 = await ours([base, after]);
    expect(t2.get("/e/a")).toMatchObject({ layer: 1, shadowed: [] });
    expect(t2.get("/e/b")).toMatchObject({ layer: 0 });
  });

  it.each([".wh.", ".wh..", ".wh..."])(
    "a marker `%s` names no entry of its directory: FormatError at its offset",
    async (marker) => {
      const bad = layer(`bad-${marker.length}`, `mkdir -p d && : > 'd/${marker}'`, [`'d/${marker}'`]);
      const err = await ours([base, bad]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FormatError);
      expect(err).toMatchObject({ file: bad, offset: (pyOffsets(bad)[0]?.dataOffset ?? 0) - 512 });
    },
  );
});

describe("replacing, links and parents, as umoci applies them", () => {
  it("a file over a directory drops the subtree; a directory over a file replaces it; a directory over a directory keeps its children", async () => {
    const l0 = layer("r0", "mkdir -p a/x b c && echo 1 > a/x/f && echo 2 > f && chmod 700 c && echo 3 > c/kept", [
      "a",
      "a/x",
      "a/x/f",
      "f",
      "c",
      "c/kept",
    ]);
    const l1 = layer("r1", "echo file > a && mkdir f && chmod 755 f && mkdir -m 750 c", ["a", "f", "c"]);
    const tree = await ours([l0, l1]);
    expect(types(tree)).toEqual(umoci([l0, l1]));
    expect(tree.get("/c")).toMatchObject({ mode: 0o750, layer: 1, shadowed: [0] });
    expect(tree.get("/c/kept")).toMatchObject({ layer: 0 });
    expect(tree.get("/a")).toMatchObject({ type: "file", shadowed: [0] });
  });

  it("missing parents become implicit directories; parents through symlinks follow them", async () => {
    const l0 = layer("p0", "mkdir -p usr/lib && ln -s usr/lib lib && ln -s /usr/lib abs", [
      "usr",
      "usr/lib",
      "lib",
      "abs",
    ]);
    const l1 = layer(
      "p1",
      "mkdir -p lib abs new/deep && echo a > lib/a.so && echo b > abs/b.so && echo c > new/deep/c",
      ["lib/a.so", "abs/b.so", "new/deep/c"],
    );
    const tree = await ours([l0, l1]);
    expect(types(tree)).toEqual(umoci([l0, l1]));
    expect(tree.get("/usr/lib/a.so")).toMatchObject({ writtenAs: "/lib/a.so" });
    expect(tree.get("/usr/lib/b.so")).toMatchObject({ writtenAs: "/abs/b.so" });
    expect(tree.get("/new")).toMatchObject({ implicit: true, layer: 1 });
  });

  it("a hard link keeps the content its target had when it was made", async () => {
    const l0 = layer("h0", "echo original > t", ["t"]);
    const l1 = layer("h1", "echo original > t && ln t link", ["t", "link"], ["t"]);
    const l2 = layer("h2", "echo replaced > t", ["t"]);
    const tree = await ours([l0, l1, l2]);
    const read = async (p: string) => {
      let s = "";
      for await (const b of tree.open(p)) s += Buffer.from(b).toString();
      return s;
    };
    expect(await read("/link")).toBe("original\n");
    expect(await read("/t")).toBe("replaced\n");
    const theirs = join(work, "layout-h0-h1-h2-bundle/rootfs");
    umoci([l0, l1, l2]);
    expect(bash(`cat ${theirs}/link ${theirs}/t`)).toBe("original\nreplaced\n");
  });

  it("a hard link to nothing is a FormatError naming the layer and the link's offset", async () => {
    const l0 = layer("n0", "echo x > f", ["f"]);
    const l1 = layer("n1", "echo x > t && ln t link", ["t", "link"], ["t"]);
    const err = await ours([l0, l1]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect(err).toMatchObject({ file: l1, offset: (pyOffsets(l1)[0]?.dataOffset ?? 0) - 512 });
    expect((err as Error).message).toMatch(/hard link \/link\): expected an existing file at \/t, found nothing/);
  });

  it("a hard link to a directory is a FormatError", async () => {
    const l0 = layer("d0", "mkdir d", ["d"]);
    const l1 = layer("d1", "echo x > t && ln t link", ["t", "link"], ["d"], "s,^t$,d,");
    await expect(ours([l0, l1])).rejects.toThrow(/expected an existing file at \/d, found a directory/);
  });

  it("a member below a lower layer's file is a FormatError", async () => {
    const l0 = layer("f0", "echo x > f", ["f"]);
    const l1 = layer("f1", "mkdir g && echo y > g/x", ["g/x"], [], "s,^g/,f/,");
    await expect(ours([l0, l1])).rejects.toThrow(/expected a directory at \/f, found a file from layer 0/);
  });

  it("a symlink loop in a member's parents is a FormatError, not a hang", async () => {
    const l0 = layer("loop0", "ln -s b a && ln -s a b", ["a", "b"]);
    const l1 = layer("loop1", "mkdir c && echo x > c/x", ["c/x"], [], "s,^c/,a/,");
    await expect(ours([l0, l1])).rejects.toThrow(/at most 40 symlinks, found a symlink loop/);
  });
});
