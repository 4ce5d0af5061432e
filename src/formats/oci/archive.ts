import { FormatError, LimitError } from "../../errors.js";
import { type ByteSource, FileSource, SliceSource, streamSource } from "../../io/source.js";
import { decompressStream, sniff } from "../compress/index.js";
import { indexTar, type TarMember } from "../tar/index.js";
import { checkDigest, DigestCheck, parseDigest } from "./digest.js";

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

export const DEFAULT_PLATFORM: Platform = { os: "linux", architecture: "amd64" };

/** `os/arch[/variant]`, as docker and skopeo write it. */
export function parsePlatform(text: string): Platform {
  const [os, architecture, variant, extra] = text.split("/");
  if (!os || !architecture || extra !== undefined)
    throw new Error(`--platform: expected os/arch[/variant], got '${text}'`);
  return { os, architecture, ...(variant ? { variant } : {}) };
}

const platformText = (p: Platform): string => [p.os, p.architecture, p.variant].filter(Boolean).join("/");

export interface ImageConfig {
  readonly os?: string;
  readonly architecture?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly env: readonly string[];
}

export interface ImageLayer {
  /** 0 for the bottom layer. */
  readonly index: number;
  /** The blob's digest (compressed, as stored), `sha256:...`. */
  readonly digest: string;
  /** The stored size in bytes. */
  readonly size: number;
  /** How the blob is stored, sniffed from its first bytes: `none`, `gzip` or `zstd`. */
  readonly compression: string;
  /** The layer as an uncompressed tar stream, its digest checked as it is read. */
  open(): AsyncIterable<Uint8Array>;
}

export interface Image {
  readonly file: string;
  readonly format: "docker-archive" | "oci-archive";
  readonly config: ImageConfig;
  readonly layers: readonly ImageLayer[];
  /** The Talos version an installer carries: label `alpha.talos.dev/version`, else env `VERSION`. */
  readonly talosVersion?: string;
  close(): Promise<void>;
}

/** Manifests, indexes and configs are small; a larger one is refused before it is read. */
const MAX_JSON = 16 << 20;
/** Layers are streamed, but their decompressed size is still bounded (decompression bombs). */
const MAX_LAYER = 64 * 2 ** 30;

interface Descriptor {
  mediaType?: string;
  digest: string;
  size: number;
  platform?: Platform;
}

const INDEX_TYPES = new Set([
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
]);

class Archive {
  constructor(
    readonly src: FileSource,
    readonly members: Map<string, TarMember>,
  ) {}

  member(path: string, what: string): TarMember {
    let m = this.members.get(`/${path.replace(/^\/+/, "")}`);
    // Legacy archives may store a layer once and point at it with symlinks; follow a few hops.
    for (let hops = 0; m?.type === "symlink" && hops < 8; hops++) {
      const dir = m.path.slice(0, m.path.lastIndexOf("/"));
      const target = (m.linkTarget as string).startsWith("/") ? (m.linkTarget as string) : `${dir}/${m.linkTarget}`;
      m = this.members.get(normalise(target));
    }
    if (m === undefined || m.type !== "file") throw new FormatError(this.src.name, 0, what, `a member ${path}`, "none");
    return m;
  }

  slice(m: TarMember): ByteSource {
    return new SliceSource(this.src, m.dataOffset, m.size, `${this.src.name}!${m.path}`);
  }

  async json<T>(path: string, what: string, digest?: Descriptor): Promise<T> {
    const m = this.member(path, what);
    if (m.size > MAX_JSON) throw new LimitError(this.src.name, m.dataOffset, what, MAX_JSON, m.size);
    const bytes = await this.src.read(m.dataOffset, m.size, what);
    if (digest) checkDigest(bytes, { hex: parseDigest(digest.digest, path), size: digest.size }, this.src.name, what);
    try {
      return JSON.parse(new TextDecoder().decode(bytes)) as T;
    } catch (err) {
      throw new FormatError(this.src.name, m.dataOffset, what, "JSON", (err as Error).message);
    }
  }
}

function normalise(path: string): string {
  const parts: string[] = [];
  for (const p of path.split("/")) {
    if (p === "" || p === ".") continue;
    if (p === "..") parts.pop();
    else parts.push(p);
  }
  return `/${parts.join("/")}`;
}

const blobPath = (digest: string, file: string): string => `blobs/sha256/${parseDigest(digest, file)}`;

/**
 * A layer whose stored blob must hash to `expect`: for OCI the blob as stored, for a legacy `docker save` the
 * uncompressed tar (its config's diff_id), whatever compression the blob turns out to have.
 */
async function makeLayer(
  archive: Archive,
  index: number,
  member: TarMember,
  expect: { hex: string; of: "stored" | "uncompressed" },
  digest: string,
): Promise<ImageLayer> {
  const slice = archive.slice(member);
  const what = `layer ${index}`;
  const kind = sniff(await slice.read(0, Math.min(8, slice.size), what));
  return {
    index,
    digest,
    size: member.size,
    compression: kind ?? "none",
    async *open() {
      const stored = new DigestCheck(
        streamSource(slice),
        expect.of === "stored" ? { hex: expect.hex, size: member.size } : { hex: "", size: member.size },
        slice.name,
        what,
      );
      const tar =
        kind === undefined
          ? stored.stream()
          : decompressStream(kind, stored.stream(), { name: slice.name, maxOutput: MAX_LAYER });
      const out =
        expect.of === "uncompressed"
          ? new DigestCheck(tar, { hex: expect.hex }, slice.name, `${what} (uncompressed)`)
          : undefined;
      try {
        yield* out ? out.stream() : tar;
      } catch (err) {
        if (expect.of === "stored") await stored.finish();
        throw err;
      }
      if (expect.of === "stored") await stored.finish();
      else await out?.finish();
    },
  };
}

function configOf(raw: {
  os?: string;
  architecture?: string;
  config?: { Labels?: Record<string, string> | null; Env?: string[] | null };
}): ImageConfig {
  return {
    ...(raw.os ? { os: raw.os } : {}),
    ...(raw.architecture ? { architecture: raw.architecture } : {}),
    labels: raw.config?.Labels ?? {},
    env: raw.config?.Env ?? [],
  };
}

async function resolveManifest(archive: Archive, desc: Descriptor, platform: Platform, depth = 0): Promise<Descriptor> {
  if (!INDEX_TYPES.has(desc.mediaType ?? "")) return desc;
  if (depth > 4) throw new FormatError(archive.src.name, 0, "image index", "at most 4 nested indexes");
  const index = await archive.json<{ manifests?: Descriptor[] }>(
    blobPath(desc.digest, archive.src.name),
    "image index",
    desc,
  );
  return chooseManifest(archive, index.manifests ?? [], platform, depth + 1);
}

async function chooseManifest(
  archive: Archive,
  manifests: Descriptor[],
  platform: Platform,
  depth: number,
): Promise<Descriptor> {
  const matches = (d: Descriptor) =>
    d.platform === undefined ||
    (d.platform.os === platform.os &&
      d.platform.architecture === platform.architecture &&
      (platform.variant === undefined || d.platform.variant === platform.variant));
  // Attestation manifests carry platform unknown/unknown and are never the image.
  const candidates = manifests.filter((d) => d.platform?.os !== "unknown" && matches(d));
  const chosen = candidates[0];
  if (chosen === undefined) {
    const offered = manifests.map((d) => (d.platform ? platformText(d.platform) : "no platform")).join(", ");
    throw new FormatError(archive.src.name, 0, "image index", `a manifest for ${platformText(platform)}`, offered);
  }
  return resolveManifest(archive, chosen, platform, depth);
}

async function openOci(archive: Archive, platform: Platform): Promise<Omit<Image, "close" | "file">> {
  const index = await archive.json<{ manifests?: Descriptor[] }>("index.json", "index.json");
  const desc = await chooseManifest(archive, index.manifests ?? [], platform, 0);
  const manifest = await archive.json<{ config: Descriptor; layers: Descriptor[] }>(
    blobPath(desc.digest, archive.src.name),
    "image manifest",
    desc,
  );
  const config = await archive.json<Parameters<typeof configOf>[0]>(
    blobPath(manifest.config.digest, archive.src.name),
    "image config",
    manifest.config,
  );
  const layers = await Promise.all(
    manifest.layers.map((d, i) => {
      const member = archive.member(blobPath(d.digest, archive.src.name), `layer ${i}`);
      if (member.size !== d.size) {
        throw new FormatError(
          archive.src.name,
          member.dataOffset,
          `layer ${i}`,
          `${d.size} bytes`,
          String(member.size),
        );
      }
      return makeLayer(archive, i, member, { hex: parseDigest(d.digest, archive.src.name), of: "stored" }, d.digest);
    }),
  );
  return { format: "oci-archive", config: configOf(config), layers };
}

async function openLegacy(archive: Archive): Promise<Omit<Image, "close" | "file">> {
  const manifest = await archive.json<{ Config: string; Layers: string[] }[]>("manifest.json", "manifest.json");
  const entry = manifest[0];
  if (entry === undefined) throw new FormatError(archive.src.name, 0, "manifest.json", "one image", "none");
  const config = await archive.json<Parameters<typeof configOf>[0] & { rootfs?: { diff_ids?: string[] } }>(
    entry.Config,
    "image config",
  );
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== entry.Layers.length) {
    throw new FormatError(
      archive.src.name,
      0,
      "image config",
      `${entry.Layers.length} diff_ids`,
      String(diffIds.length),
    );
  }
  const layers = await Promise.all(
    entry.Layers.map((path, i) => {
      const member = archive.member(path, `layer ${i}`);
      const diffId = diffIds[i] as string;
      return makeLayer(archive, i, member, { hex: parseDigest(diffId, archive.src.name), of: "uncompressed" }, diffId);
    }),
  );
  return { format: "docker-archive", config: configOf(config), layers };
}

/**
 * Opens a container image archive: `docker save` (legacy, or Docker 25+ with an OCI layout inside) or an OCI
 * layout tar. Only headers and small JSON blobs are read here; layers are streamed when opened.
 */
export async function openImageArchive(path: string, platform: Platform = DEFAULT_PLATFORM): Promise<Image> {
  const src = await FileSource.open(path);
  try {
    const archive = new Archive(src, await indexTar(src));
    const opened = archive.members.has("/index.json") ? await openOci(archive, platform) : await openLegacy(archive);
    const labels = opened.config.labels;
    const envVersion = opened.config.env.find((e) => e.startsWith("VERSION="))?.slice("VERSION=".length);
    const talosVersion = labels["alpha.talos.dev/version"] ?? envVersion;
    return { ...opened, file: path, ...(talosVersion ? { talosVersion } : {}), close: () => src.close() };
  } catch (err) {
    await src.close();
    throw err;
  }
}
