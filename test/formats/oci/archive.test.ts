import { statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Image, openImageArchive, parsePlatform } from "../../../src/formats/oci/archive.js";
import { maxLayerOutput } from "../../../src/formats/oci/layer.js";
import { walkTar } from "../../../src/formats/tar/walk.js";
import { FormatError, LimitError } from "../../../src/io/errors.js";
import { FileSource } from "../../../src/io/source.js";
import {
  FORMATS,
  fixture,
  gnuList,
  isDockerArchive,
  pyOffsets,
  run,
  runText,
  scratch,
  transport,
  unpackLayout,
} from "./tools.js";

interface SkopeoConfig {
  os: string;
  architecture: string;
  config: { Labels?: Record<string, string>; Env?: string[] };
  rootfs: { diff_ids: string[] };
}

const skopeo = (...args: string[]) => runText("skopeo", args);
const skopeoConfig = (name: string, ...opts: string[]) =>
  JSON.parse(skopeo(...opts, "inspect", "--config", transport(name))) as SkopeoConfig;

async function withImage<T>(name: string, fn: (image: Image) => Promise<T>, platform?: string): Promise<T> {
  const image = await openImageArchive(fixture(name), platform ? parsePlatform(platform) : undefined);
  try {
    return await fn(image);
  } finally {
    await image.close();
  }
}

let work: string;
beforeAll(() => {
  work = scratch("oci-");
});
afterAll(() => run("rm", ["-rf", work]));

describe("openImageArchive against skopeo", () => {
  it.each(FORMATS)("%s: config, labels, env and diff_ids as skopeo reads them", async (name) => {
    const expected = skopeoConfig(name);
    await withImage(name, async (image) => {
      expect(image.config.labels).toEqual(expected.config.Labels ?? {});
      expect(image.config.env).toEqual(expected.config.Env ?? []);
      expect(image.config.os).toBe(expected.os);
      expect(image.config.architecture).toBe(expected.architecture);
      expect(image.config.diffIds).toEqual(expected.rootfs.diff_ids);
      expect(image.layers.map((l) => l.diffId)).toEqual(expected.rootfs.diff_ids);
      expect(image.talosVersion).toBe(expected.config.Labels?.["alpha.talos.dev/version"]);
    });
  });

  it.each(FORMATS.filter((n) => !isDockerArchive(n)))(
    "%s: each layer's digest, size and media type as the manifest skopeo picks says",
    async (name) => {
      const raw = JSON.parse(skopeo("inspect", "--raw", transport(name))) as {
        layers?: { digest: string; size: number; mediaType: string }[];
        manifests?: { digest: string; platform: { architecture: string } }[];
      };
      // For the nested index, skopeo prints the index; its amd64 entry is the image.
      const layers =
        raw.layers ??
        (JSON.parse(
          runText("bash", [
            "-c",
            `tar -xOf ${fixture(name)} blobs/sha256/${raw.manifests?.find((m) => m.platform.architecture === "amd64")?.digest.slice(7)}`,
          ]),
        ).layers as { digest: string; size: number; mediaType: string }[]);
      await withImage(name, async (image) => {
        expect(image.layers.map((l) => [l.digest, l.size, l.mediaType])).toEqual(
          layers.map((l) => [l.digest, l.size, l.mediaType]),
        );
      });
    },
  );

  it.each(FORMATS)("%s: the name the archive stores the image under", async (name) => {
    const manifestJson = runText("bash", ["-c", `tar -xOf ${fixture(name)} manifest.json 2>/dev/null || true`]);
    const indexJson = runText("bash", ["-c", `tar -xOf ${fixture(name)} index.json 2>/dev/null || true`]);
    const annotations = indexJson ? JSON.parse(indexJson).manifests[0].annotations : undefined;
    const expected = annotations
      ? ((annotations["io.containerd.image.name"] ?? annotations["org.opencontainers.image.ref.name"]) as string)
      : (JSON.parse(manifestJson)[0].RepoTags[0] as string);
    await withImage(name, async (image) => {
      expect(image.name).toBe(expected);
      expect(image.format).toBe(
        isDockerArchive(name) ? "docker-archive" : manifestJson ? "docker-oci-archive" : "oci-archive",
      );
    });
  });

  it("diff_ids match umoci's history of the same image", async () => {
    const layout = join(work, "umoci");
    skopeo("copy", "--quiet", transport("oci-gzip.tar"), `oci:${layout}:x`);
    const history = JSON.parse(runText("umoci", ["stat", "--image", `${layout}:x`, "--json"])) as {
      history: { layer?: { digest: string }; diff_id?: string; empty_layer?: boolean }[];
    };
    const withLayers = history.history.filter((h) => h.empty_layer !== true);
    await withImage("oci-gzip.tar", async (image) => {
      expect(image.layers.map((l) => [l.digest, l.diffId])).toEqual(
        withLayers.map((h) => [h.layer?.digest, h.diff_id]),
      );
    });
  });

  it("sniffs each blob's compression as `file` does, whatever its media type says", async () => {
    for (const name of ["oci-gzip.tar", "oci-zstd.tar", "oci-plain.tar", "oci-mixed.tar"]) {
      const layout = unpackLayout(name);
      const byFile = layout.manifest.layers.map((l) => {
        const kind = runText("file", ["-b", layout.blob(l.digest)]);
        return kind.startsWith("gzip")
          ? "gzip"
          : kind.startsWith("Zstandard")
            ? "zstd"
            : kind.includes("tar") && "none";
      });
      await withImage(name, async (image) => {
        expect(image.layers.map((l) => l.compression)).toEqual(byFile);
      });
      run("rm", ["-rf", layout.dir]);
    }
    // The mixed layout labels a zstd layer tar+gzip: the bytes decide.
    await withImage("oci-mixed.tar", async (image) => {
      expect(image.layers.some((l) => l.mediaType?.endsWith("+gzip") && l.compression === "zstd")).toBe(true);
    });
  });

  it("reads Docker 24's symlinked copy of a repeated layer", async () => {
    const links = gnuList(fixture("docker24.tar")).filter((m) => m.mode.startsWith("l"));
    expect(links.length).toBe(1);
    await withImage("docker24.tar", async (image) => {
      const [a, b] = [image.layers[3], image.layers[4]];
      expect(a?.digest).toBe(b?.digest);
      for (const layer of image.layers) for await (const _ of layer.open()) void _;
    });
  });
});

describe("platforms", () => {
  it("takes linux/amd64 from the nested index by default and never the attestation", async () => {
    const amd = skopeoConfig("multi.tar");
    await withImage("multi.tar", async (image) => {
      expect(image.config.architecture).toBe(amd.architecture);
      expect(image.config.labels).toEqual(amd.config.Labels);
    });
  });

  it.each(["linux/arm64", "linux/arm64/v8"])("--platform %s: the arm64 image, as skopeo picks it", async (p) => {
    const arm = skopeoConfig("multi.tar", "--override-arch", "arm64", "--override-variant", "v8");
    await withImage(
      "multi.tar",
      async (image) => {
        expect(image.config.architecture).toBe(arm.architecture);
        expect(image.config.labels).toEqual(arm.config.Labels);
      },
      p,
    );
  });

  it.each([
    ["linux/riscv64", /a manifest for linux\/riscv64, found linux\/amd64, linux\/arm64\/v8, unknown\/unknown/],
    ["unknown/unknown", /a manifest for unknown\/unknown/],
  ])("--platform %s is refused, naming what the index offers", async (p, message) => {
    await expect(withImage("multi.tar", async () => undefined, p)).rejects.toThrow(message);
  });

  it("an explicit platform must be a single-image archive's own", async () => {
    await expect(withImage("legacy.tar", async () => undefined, "linux/arm64")).rejects.toThrow(
      /an image for linux\/arm64, found linux\/amd64/,
    );
    await withImage("legacy.tar", async (image) => expect(image.layers).toHaveLength(5), "linux/amd64");
  });
});

describe("the archive index", () => {
  it("finds every member of an archive at the offsets Python's tarfile gives, reading headers only", async () => {
    for (const name of ["legacy.tar", "docker24.tar", "multi.tar"]) {
      const src = await FileSource.open(fixture(name));
      const ours = [];
      for await (const e of walkTar(src)) ours.push({ path: e.path, offset: e.startOffset, dataOffset: e.dataOffset });
      await src.close();
      expect(ours).toEqual(pyOffsets(fixture(name)));
    }
  });
});

describe("bad archives", () => {
  it("a truncated archive is a FormatError naming the member cut short, its data offset and the cut", async () => {
    // bad-truncated.tar is the head of oci-gzip.tar: the member whose data spans its end is the one cut.
    const cut = statSync(fixture("bad-truncated.tar")).size;
    const sizes = new Map(gnuList(fixture("oci-gzip.tar")).map((m) => [m.path, Number(m.size)]));
    const member = pyOffsets(fixture("oci-gzip.tar")).find(
      (m) => m.dataOffset < cut && m.dataOffset + (sizes.get(m.path) ?? 0) > cut,
    );
    expect(member).toBeDefined();
    const err = await openImageArchive(fixture("bad-truncated.tar")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect(err).toMatchObject({
      file: fixture("bad-truncated.tar"),
      offset: member?.dataOffset,
      structure: `data of ${member?.path}`,
      expected: `${sizes.get(member?.path ?? "")} bytes`,
      found: `end of input at ${cut}`,
    });
  });

  it("a blob whose bytes do not match its digest is refused while it streams, naming the blob and its offset", async () => {
    const layout = unpackLayout("bad-digest.tar");
    const digest = layout.manifest.layers[0]?.digest as string;
    const member = pyOffsets(fixture("bad-digest.tar")).find((m) => m.path === `/blobs/sha256/${digest.slice(7)}`);
    run("rm", ["-rf", layout.dir]);
    await withImage("bad-digest.tar", async (image) => {
      const layer = image.layers[0];
      const read = async () => {
        for await (const _ of layer?.open() ?? []) void _;
      };
      const err = await read().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FormatError);
      expect(err).toMatchObject({ file: fixture("bad-digest.tar"), offset: member?.dataOffset });
      expect((err as Error).message).toContain(`layer 0 blob ${digest}`);
      expect((err as Error).message).toMatch(/expected sha256:[0-9a-f]{64}, found sha256:[0-9a-f]{64}/);
    });
  });

  it("a decompression bomb stops at the layer's output bound with a LimitError", async () => {
    await withImage("bad-bomb.tar", async (image) => {
      const layer = image.layers[0];
      expect(layer?.compression).toBe("zstd");
      let seen = 0;
      const read = async () => {
        for await (const chunk of layer?.open() ?? []) seen += chunk.length;
      };
      const err = await read().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LimitError);
      expect(seen).toBeLessThanOrEqual(maxLayerOutput(layer?.size ?? 0));
    });
  });
});
