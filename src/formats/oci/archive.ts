import { FormatError } from "../../io/errors.js";
import { FileSource } from "../../io/source.js";
import { parseDigest } from "./digest.js";
import { type ImageLayer, makeLayer, type Sha256, sha256Here } from "./layer.js";
import { ArchiveMembers } from "./members.js";
import { DEFAULT_PLATFORM, isAttestation, type Platform, platformMatches, platformText } from "./platform.js";
import * as schema from "./schema.js";

export type { ImageLayer, Sha256 } from "./layer.js";
export type { Platform } from "./platform.js";
export { DEFAULT_PLATFORM, parsePlatform, platformText } from "./platform.js";

export interface ImageConfig {
  readonly os?: string;
  readonly architecture?: string;
  readonly variant?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly env: readonly string[];
  /** sha256 of each uncompressed layer tar, bottom to top. */
  readonly diffIds: readonly string[];
}

/**
 * - `docker-archive`: `docker save` up to Docker 24, skopeo and podman: manifest.json, `<id>.json` configs,
 *   uncompressed layer tars.
 * - `docker-oci-archive`: `docker save` from Docker 25: an OCI image layout plus manifest.json.
 * - `oci-archive`: an OCI image layout alone (skopeo, buildah, `docker buildx --output type=oci`).
 */
export type ArchiveFormat = "docker-archive" | "docker-oci-archive" | "oci-archive";

export interface Image {
  readonly file: string;
  readonly format: ArchiveFormat;
  /** The reference the archive stores the image under (`org.opencontainers.image.ref.name`, RepoTags). */
  readonly name?: string;
  /** The image manifest's digest (OCI layouts only). */
  readonly manifestDigest?: string;
  readonly config: ImageConfig;
  readonly layers: readonly ImageLayer[];
  /** The Talos version an installer carries: label `alpha.talos.dev/version`, else env `VERSION`. */
  readonly talosVersion?: string;
  close(): Promise<void>;
}

type Opened = Omit<Image, "file" | "talosVersion" | "close">;

/** Indexes nest (Docker 25 with the containerd store: a top index naming a multi-platform one). */
const MAX_NESTING = 4;

function configOf(raw: schema.ConfigJson): ImageConfig {
  return {
    ...(raw.os ? { os: raw.os } : {}),
    ...(raw.architecture ? { architecture: raw.architecture } : {}),
    ...(raw.variant ? { variant: raw.variant } : {}),
    labels: raw.config?.Labels ?? {},
    env: raw.config?.Env ?? [],
    diffIds: raw.rootfs.diff_ids,
  };
}

const refName = (d: schema.DescriptorJson): string | undefined =>
  d.annotations?.["io.containerd.image.name"] ?? d.annotations?.["org.opencontainers.image.ref.name"];

/** Picks the image manifest for `platform`, recursing through nested indexes; attestations never qualify. */
async function chooseManifest(
  a: ArchiveMembers,
  manifests: readonly schema.DescriptorJson[],
  platform: Platform,
  where: string,
  depth: number,
): Promise<schema.DescriptorJson> {
  const candidates = manifests.filter(
    (d) => !isAttestation(d.platform) && (d.platform === undefined || platformMatches(d.platform, platform)),
  );
  const chosen = candidates[0];
  if (chosen === undefined) {
    const offered = manifests.map((d) => (d.platform ? platformText(d.platform) : "no platform")).join(", ");
    throw new FormatError(a.src.name, 0, where, `a manifest for ${platformText(platform)}`, offered || "none");
  }
  if (!schema.INDEX_TYPES.has(chosen.mediaType ?? "")) return chosen;
  if (depth >= MAX_NESTING) throw new FormatError(a.src.name, 0, where, `at most ${MAX_NESTING} nested indexes`);
  const blob = a.blob(chosen, "image index");
  const nested = await a.json(blob, "image index", schema.index, parseDigest(chosen.digest, a.src.name));
  const found = await chooseManifest(a, nested.manifests, platform, `image index ${chosen.digest}`, depth + 1);
  // The name is on the outer descriptor; the platform's manifest inside carries none.
  const name = refName(chosen);
  return refName(found) === undefined && name !== undefined
    ? { ...found, annotations: { ...found.annotations, "org.opencontainers.image.ref.name": name } }
    : found;
}

async function openLayout(a: ArchiveMembers, platform: Platform, docker: boolean, sha256: Sha256): Promise<Opened> {
  const idx = await a.json(a.file("index.json", "index.json"), "index.json", schema.index);
  const desc = await chooseManifest(a, idx.manifests, platform, "index.json", 0);
  const manifest = await a.json(
    a.blob(desc, "image manifest"),
    "image manifest",
    schema.manifest,
    parseDigest(desc.digest, a.src.name),
  );
  const configBlob = a.blob(manifest.config, "image config");
  const config = configOf(
    await a.json(configBlob, "image config", schema.config, parseDigest(manifest.config.digest, a.src.name)),
  );
  if (config.diffIds.length !== manifest.layers.length) {
    throw new FormatError(
      a.src.name,
      configBlob.dataOffset,
      "image config rootfs.diff_ids",
      `${manifest.layers.length} entries, one per manifest layer`,
      String(config.diffIds.length),
    );
  }
  const layers = await Promise.all(
    manifest.layers.map((d, i) => {
      const blob = a.blob(d, `layer ${i}`);
      return makeLayer(
        {
          index: i,
          digest: `sha256:${parseDigest(d.digest, a.src.name)}`,
          diffId: `sha256:${parseDigest(config.diffIds[i] as string, a.src.name, configBlob.dataOffset)}`,
          ...(d.mediaType !== undefined ? { mediaType: d.mediaType } : {}),
          archive: a.src.name,
          offset: blob.dataOffset,
          verify: "stored",
        },
        a.slice(blob),
        sha256,
      );
    }),
  );
  const name = refName(desc);
  return {
    format: docker ? "docker-oci-archive" : "oci-archive",
    ...(name !== undefined ? { name } : {}),
    manifestDigest: desc.digest,
    config,
    layers,
  };
}

async function openDocker(a: ArchiveMembers, sha256: Sha256): Promise<Opened> {
  const manifest = await a.json(a.file("manifest.json", "manifest.json"), "manifest.json", schema.dockerManifest);
  const entry = manifest[0];
  if (entry === undefined) throw new FormatError(a.src.name, 0, "manifest.json", "one image", "an empty list");
  const configMember = a.file(entry.Config, "image config");
  // The config is named by its own digest (`<hex>.json`), which is the image id.
  const id = /(?:^|\/)([0-9a-f]{64})(?:\.json)?$/.exec(entry.Config)?.[1];
  const config = configOf(await a.json(configMember, "image config", schema.config, id));
  if (config.diffIds.length !== entry.Layers.length) {
    throw new FormatError(
      a.src.name,
      configMember.dataOffset,
      "image config rootfs.diff_ids",
      `${entry.Layers.length} entries, one per manifest.json layer`,
      String(config.diffIds.length),
    );
  }
  const layers = await Promise.all(
    entry.Layers.map((path, i) => {
      const blob = a.file(path, `layer ${i}`);
      const diffId = `sha256:${parseDigest(config.diffIds[i] as string, a.src.name, configMember.dataOffset)}`;
      return makeLayer(
        {
          index: i,
          digest: diffId,
          diffId,
          archive: a.src.name,
          offset: blob.dataOffset,
          verify: "uncompressed",
        },
        a.slice(blob),
        sha256,
      );
    }),
  );
  const name = entry.RepoTags?.[0];
  return { format: "docker-archive", ...(name !== undefined ? { name } : {}), config, layers };
}

/**
 * Opens a container image archive: `docker save` (legacy, or Docker 25+ with an OCI layout inside) or an OCI
 * layout tar. Only the archive's headers and the small JSON blobs are read here; layers stream when opened.
 * The archive stays open (layers are slices of it) until `close`. `platform` chooses from a multi-platform
 * index (linux/amd64 when not given) and, when given, must also be the chosen image's own. `sha256` hashes the
 * uncompressed layers when they are checked.
 */
export async function openImageArchive(path: string, platform?: Platform, sha256: Sha256 = sha256Here): Promise<Image> {
  const src = await FileSource.open(path);
  try {
    const a = await ArchiveMembers.open(src);
    // Docker 25+ writes both; its index.json can name a multi-platform index that manifest.json cannot.
    const opened = a.has("index.json")
      ? await openLayout(a, platform ?? DEFAULT_PLATFORM, a.has("manifest.json"), sha256)
      : await openDocker(a, sha256);
    // An index without platforms, or a `docker save`, holds one image: an explicit platform must be its own.
    const c = opened.config;
    if (platform !== undefined && c.os !== undefined && c.architecture !== undefined) {
      const own = { os: c.os, architecture: c.architecture, ...(c.variant ? { variant: c.variant } : {}) };
      if (!platformMatches(own, platform)) {
        throw new FormatError(path, 0, "image config", `an image for ${platformText(platform)}`, platformText(own));
      }
    }
    const { labels, env } = opened.config;
    const talosVersion =
      labels["alpha.talos.dev/version"] ?? env.find((e) => e.startsWith("VERSION="))?.slice("VERSION=".length);
    return { ...opened, file: path, ...(talosVersion ? { talosVersion } : {}), close: () => src.close() };
  } catch (err) {
    await src.close();
    throw err;
  }
}
