import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FormatError } from "../../../src/errors.js";
import { openImageArchive, parsePlatform } from "../../../src/formats/oci/archive.js";
import { readTar } from "../../../src/formats/tar/reader.js";
import { flattenImage, readImageFile } from "../../../src/image/image-layers.js";
import type { FsTree } from "../../../src/image/tree.js";

const dir = join(import.meta.dirname, "../../fixtures/out/image");
const fixture = (name: string) => join(dir, name);
const ALL = ["legacy.tar", "oci-gzip.tar", "oci-zstd.tar", "oci-plain.tar", "docker25.tar", "multi.tar"];

const skopeo = (...args: string[]) => execFileSync("skopeo", args, { encoding: "utf8" });
const transport = (name: string) => (name === "legacy.tar" ? "docker-archive:" : "oci-archive:") + fixture(name);

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "oci-"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("openImageArchive against skopeo", () => {
  // skopeo reads Docker 25 and nested-index layouts as oci-archive too; it picks linux/amd64 by default.
  it.each(ALL)("%s: config and layers as skopeo sees them", async (name) => {
    const image = await openImageArchive(fixture(name));
    try {
      const raw = JSON.parse(skopeo("inspect", "--raw", transport(name))) as {
        layers?: { digest: string; size: number }[];
        manifests?: unknown[];
      };
      const config = JSON.parse(skopeo("inspect", "--config", transport(name))) as {
        architecture: string;
        config: { Labels: Record<string, string>; Env: string[] };
      };
      expect(image.config.labels).toEqual(config.config.Labels);
      expect(image.config.env).toEqual(config.config.Env);
      expect(image.config.architecture).toBe(config.architecture);
      expect(image.talosVersion).toBe("v1.13.0");
      if (raw.layers !== undefined && name !== "legacy.tar") {
        expect(image.layers.map((l) => l.digest)).toEqual(raw.layers.map((l) => l.digest));
        expect(image.layers.map((l) => l.size)).toEqual(raw.layers.map((l) => l.size));
      }
      expect(image.layers).toHaveLength(3);
    } finally {
      await image.close();
    }
  });

  it("sniffs each layer's compression from its bytes", async () => {
    const expectations: Record<string, string> = {
      "oci-gzip.tar": "gzip",
      "oci-zstd.tar": "zstd",
      "oci-plain.tar": "none",
      "legacy.tar": "none",
    };
    for (const [name, kind] of Object.entries(expectations)) {
      const image = await openImageArchive(fixture(name));
      expect(image.layers.map((l) => l.compression)).toEqual([kind, kind, kind]);
      await image.close();
    }
  });

  it("chooses the platform from a nested index and skips attestation manifests", async () => {
    const arm = await openImageArchive(fixture("multi.tar"), parsePlatform("linux/arm64"));
    expect(arm.config.architecture).toBe("arm64");
    expect(arm.config.labels.platform).toBe("arm64");
    await arm.close();
    await expect(openImageArchive(fixture("multi.tar"), parsePlatform("linux/riscv64"))).rejects.toThrow(
      /a manifest for linux\/riscv64.*linux\/amd64, linux\/arm64/,
    );
  });
});

describe("layer tars against GNU tar", () => {
  it("lists the same members, types and sizes as `tar -tv` for every layer", async () => {
    const image = await openImageArchive(fixture("oci-plain.tar"));
    for (const layer of image.layers) {
      const blob = execFileSync("tar", ["-xOf", fixture("oci-plain.tar"), `./blobs/sha256/${layer.digest.slice(7)}`], {
        maxBuffer: 64 << 20,
      });
      const gnu = execFileSync("tar", ["--numeric-owner", "-tvf", "-"], { input: blob, encoding: "utf8" })
        .trim()
        .split("\n")
        .map((line) => {
          const m = /^(\S)\S+ (\d+)\/(\d+)\s+(\d+) \S+ \S+ (.*?)(?: link to .*| -> .*)?$/.exec(line);
          if (m === null) throw new Error(`unparsed tar line: ${line}`);
          return {
            kind: m[1],
            size: Number(m[4]),
            path: `/${(m[5] as string).replace(/^\.\/?/, "").replace(/\/$/, "")}`,
          };
        });
      const ours = [];
      for await (const { entry } of readTar(layer.open(), layer.digest)) ours.push(entry);
      const kindOf = { file: "-", dir: "d", symlink: "l", hardlink: "h", char: "c", block: "b", fifo: "p" };
      expect(ours.map((e) => ({ kind: kindOf[e.type], size: e.size, path: e.path }))).toEqual(
        gnu.map((g) => ({ ...g, path: g.path === "/." ? "/" : g.path })),
      );
    }
    await image.close();
  });
});

/**
 * The tree umoci unpacks, as {path: [type, size, link target or content sha256]}. Every fixture is a copy of
 * one image (make-image.sh); umoci reads neither zstd nor docker-archive, so its unpack of the gzip copy is
 * the reference for all of them.
 */
let reference: Map<string, [string, number, string]> | undefined;
function umociTree(): Map<string, [string, number, string]> {
  if (reference) return reference;
  const layout = join(work, "u");
  const bundle = join(work, "b");
  execFileSync("skopeo", ["copy", "--quiet", transport("oci-gzip.tar"), `oci:${layout}:x`]);
  execFileSync("umoci", ["unpack", "--rootless", "--image", `${layout}:x`, bundle]);
  const out = new Map<string, [string, number, string]>();
  const walk = (rel: string) => {
    for (const d of readdirSync(join(bundle, "rootfs", rel), { withFileTypes: true })) {
      const p = `${rel}/${d.name}`;
      const full = join(bundle, "rootfs", p);
      const st = lstatSync(full);
      if (st.isDirectory()) {
        out.set(p, ["dir", 0, ""]);
        walk(p);
      } else if (st.isSymbolicLink()) out.set(p, ["symlink", 0, readlinkSync(full)]);
      else out.set(p, ["file", st.size, createHash("sha256").update(readFileSync(full)).digest("hex")]);
    }
  };
  walk("");
  reference = out;
  return out;
}

async function ourTree(image: Awaited<ReturnType<typeof openImageArchive>>, tree: FsTree) {
  const out = new Map<string, [string, number, string]>();
  for (const e of tree.walk()) {
    if (e.type === "dir") out.set(e.path, ["dir", 0, ""]);
    else if (e.type === "symlink") out.set(e.path, ["symlink", 0, e.linkTarget ?? ""]);
    else {
      const bytes = await readImageFile(image, tree, e.path, 1 << 20);
      out.set(e.path, ["file", bytes.length, createHash("sha256").update(bytes).digest("hex")]);
    }
  }
  return out;
}

describe("flattened view against umoci unpack", () => {
  it.each(["legacy.tar", "oci-gzip.tar", "oci-zstd.tar", "oci-plain.tar", "docker25.tar", "multi.tar"])(
    "%s: same paths, types, sizes, link targets and contents",
    async (name) => {
      const image = await openImageArchive(fixture(name));
      const tree = await flattenImage(image);
      const ours = await ourTree(image, tree);
      await image.close();
      expect(Object.fromEntries([...ours].sort())).toEqual(Object.fromEntries([...umociTree()].sort()));
    },
  );

  it("records which layer provided a path and which layers it shadowed", async () => {
    const image = await openImageArchive(fixture("oci-gzip.tar"));
    const tree = await flattenImage(image);
    await image.close();
    expect(tree.get("/etc/a")).toMatchObject({ layer: 1, shadowed: [0] });
    expect(tree.get("/dir")).toMatchObject({ layer: 2, shadowed: [0] });
    expect(tree.get("/etc/b")).toBeUndefined(); // whited out by layer 1
    expect(tree.get("/dir/keep")).toBeUndefined(); // hidden by layer 2's opaque marker
    expect(tree.get("/dir/fresh")).toMatchObject({ layer: 2, shadowed: [] });
    expect(tree.get("/bin/h2")).toMatchObject({ type: "hardlink", linkTarget: "/bin/h1" });
  });
});

describe("bad archives", () => {
  it("a truncated archive names the file and offset", async () => {
    await expect(openImageArchive(fixture("bad-truncated.tar"))).rejects.toThrow(FormatError);
    await expect(openImageArchive(fixture("bad-truncated.tar"))).rejects.toThrow(/bad-truncated\.tar: offset \d+/);
  });

  it("a blob whose bytes do not match its digest is refused while it is read", async () => {
    const image = await openImageArchive(fixture("bad-digest.tar"));
    const read = async () => {
      for (const layer of image.layers) for await (const _ of layer.open()) void _;
    };
    await expect(read()).rejects.toThrow(/expected sha256:[0-9a-f]{64}, found sha256:/);
    await image.close();
  });

  it.each([
    ["bad-dotdot.tar", /a path without '\.\.', found "\.\.\/x"/],
    ["bad-absolute.tar", /a relative path, found "\/etc\/passwd"/],
  ])("%s: an escaping member name is a FormatError", async (name, message) => {
    const image = await openImageArchive(fixture(name));
    await expect(flattenImage(image)).rejects.toThrow(message);
    await image.close();
  });
});
