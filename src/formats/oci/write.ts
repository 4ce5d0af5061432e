import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { writeTar } from "../tar/write.js";

export interface ImageArchiveOptions {
  /** `repository:tag`, as `docker load` names the image and as the OCI index annotates it. */
  readonly ref: string;
  readonly os: "linux";
  readonly architecture: "amd64" | "arm64";
  /** Seconds since the epoch for the config's `created` and every member's mtime. */
  readonly created: number;
  readonly labels?: Readonly<Record<string, string>>;
}

export interface ImageArchiveWritten {
  /** Digest of the image manifest: what a registry would call the image. */
  readonly manifestDigest: string;
  readonly configDigest: string;
  readonly layerDigest: string;
}

const sha256 = (b: Uint8Array): string => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const blobName = (digest: string): string => `blobs/sha256/${digest.slice("sha256:".length)}`;
const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

/**
 * A one-layer image as Docker 25 saves it: an OCI image layout (`oci-layout`, `index.json`, `blobs/`) with
 * Docker's `manifest.json` beside it, so the one tar is both an `oci-archive:` and a `docker-archive:` and
 * `docker load` takes it. The layer is an uncompressed tar already written to `layerTar`.
 */
export async function writeImageArchive(
  dest: string,
  layerTar: { readonly path: string; readonly digest: string; readonly size: number },
  opts: ImageArchiveOptions,
): Promise<ImageArchiveWritten> {
  const created = new Date(opts.created * 1000).toISOString().replace(".000Z", "Z");
  const config = json({
    architecture: opts.architecture,
    os: opts.os,
    created,
    config: { Labels: opts.labels ?? {} },
    rootfs: { type: "layers", diff_ids: [layerTar.digest] },
    history: [{ created, created_by: "talos-ext build" }],
  });
  const configDigest = sha256(config);
  const manifest = json({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: configDigest, size: config.length },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: layerTar.digest, size: layerTar.size }],
  });
  const manifestDigest = sha256(manifest);
  const tag = opts.ref.slice(opts.ref.lastIndexOf(":") + 1);
  const index = json({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [
      {
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        digest: manifestDigest,
        size: manifest.length,
        platform: { architecture: opts.architecture, os: opts.os },
        annotations: { "io.containerd.image.name": opts.ref, "org.opencontainers.image.ref.name": tag },
      },
    ],
  });
  const docker = json([{ Config: blobName(configDigest), RepoTags: [opts.ref], Layers: [blobName(layerTar.digest)] }]);
  const bytes = (name: string, b: Buffer) => ({
    name,
    type: "file" as const,
    mode: 0o644,
    size: b.length,
    body: () => [b],
  });
  const dir = (name: string) => ({ name, type: "dir" as const, mode: 0o755, size: 0 });
  await writeTar(
    dest,
    [
      dir("blobs"),
      dir("blobs/sha256"),
      bytes(blobName(configDigest), config),
      {
        name: blobName(layerTar.digest),
        type: "file",
        mode: 0o644,
        size: layerTar.size,
        body: () => createReadStream(layerTar.path),
      },
      bytes(blobName(manifestDigest), manifest),
      bytes("index.json", index),
      bytes("manifest.json", docker),
      bytes("oci-layout", json({ imageLayoutVersion: "1.0.0" })),
    ],
    opts.created,
  );
  return { manifestDigest, configDigest, layerDigest: layerTar.digest };
}
