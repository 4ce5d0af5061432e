import { createHash } from "node:crypto";
import { type ByteSource, FileSource, streamSource } from "../../io/source.js";
import { decompressStream } from "../compress/decompress.js";
import { type Compression, sniff } from "../compress/magic.js";
import { BLOCK, parseHeader } from "../tar/header.js";
import { compare, DigestCheck, type Expected } from "./digest.js";

export interface ImageLayer {
  /** 0 for the bottom layer. */
  readonly index: number;
  /** The digest the archive names the layer by: the stored blob's for OCI layouts, the diff_id for `docker save`. */
  readonly digest: string;
  /** sha256 of the uncompressed tar, from the config's rootfs.diff_ids. */
  readonly diffId: string;
  /** The media type the manifest declares (absent in a legacy `docker save`); not trusted for decoding. */
  readonly mediaType?: string;
  /** The stored size in bytes. */
  readonly size: number;
  /** How the blob is stored, sniffed from its first bytes. */
  readonly compression: Compression | "none";
  /** The stored blob, read in place inside the archive. */
  readonly blob: ByteSource;
  /**
   * The layer as an uncompressed tar stream. The stored blob's digest (OCI layouts) and the tar's diff_id are
   * checked when the stream ends; a consumer that stops early skips the checks.
   */
  open(): AsyncIterable<Uint8Array>;
  /**
   * Reads the whole layer and checks its digest: what a consumer that failed on the stream calls, so that a
   * corrupt blob is reported as a digest mismatch rather than as whatever the tar reader made of it, and how
   * an uncompressed layer listed from its headers alone is checked (the blob is hashed by the image's Sha256).
   */
  verify(): Promise<void>;
}

/**
 * The sha256 (hex) of a blob: `blob` to read it on this thread, or the `size` bytes at `offset` of the file
 * `file`, for a hasher that reads it on another.
 */
export type Sha256 = (blob: ByteSource, file: string, offset: number) => Promise<string>;

/** Sha256 on this thread. */
export const sha256Here: Sha256 = async (blob) => {
  const hash = createHash("sha256");
  for await (const chunk of streamSource(blob)) hash.update(chunk);
  return hash.digest("hex");
};

/** The sha256 (hex) of `size` bytes at `offset` of `file`, read through one buffer: what a Sha256 on another thread runs. */
export async function sha256OfFile(file: string, offset: number, size: number): Promise<string> {
  const src = await FileSource.open(file);
  try {
    const hash = createHash("sha256");
    const buf = new Uint8Array(Math.min(size, 1 << 20));
    for (let done = 0; done < size; done += buf.length) {
      hash.update(await src.readInto(offset + done, buf.subarray(0, Math.min(buf.length, size - done)), "layer blob"));
    }
    return hash.digest("hex");
  } finally {
    await src.close();
  }
}

/**
 * A layer streams, so its decoded size costs time, not memory; still, a decompression bomb must end. A real
 * layer stays under 1 GiB or compresses less than 1024:1 (gzip cannot do better than about 1032:1).
 */
export const maxLayerOutput = (stored: number): number => Math.max(2 ** 30, stored * 1024);

/**
 * The blob's compression from its magic, whatever the media type says (Docker 25 keeps registry compression
 * under plain tar names). A blob that starts with a valid tar header is a tar even if its first member's
 * name happens to look like a magic (`BZh…`, `]\0\0`).
 */
async function sniffLayer(blob: ByteSource): Promise<Compression | "none"> {
  const head = await blob.read(0, Math.min(BLOCK, blob.size), "layer magic");
  if (head.length === BLOCK) {
    try {
      parseHeader(head, blob.name, 0);
      return "none";
    } catch {
      // not a tar header: look for a compression magic
    }
  }
  return sniff(head) ?? "none";
}

export interface LayerSpec {
  readonly index: number;
  readonly digest: string;
  /** `sha256:<hex>`, already checked to be one. */
  readonly diffId: string;
  readonly mediaType?: string;
  /** Where the blob sits in the archive, for errors. */
  readonly archive: string;
  readonly offset: number;
  /**
   * Which bytes `digest` covers: the blob as stored (OCI), checked besides the diff_id, or the uncompressed
   * tar (`docker save`), where it is the diff_id.
   */
  readonly verify: "stored" | "uncompressed";
}

const hexOf = (digest: string): string => digest.slice("sha256:".length);

export async function makeLayer(spec: LayerSpec, blob: ByteSource, sha256: Sha256 = sha256Here): Promise<ImageLayer> {
  const compression = await sniffLayer(blob);
  const i = spec.index;
  const at = { file: spec.archive, offset: spec.offset };
  const stored: Expected[] =
    spec.verify === "stored" ? [{ ...at, hex: hexOf(spec.digest), what: `layer ${i} blob ${spec.digest}` }] : [];
  const tar: Expected = { ...at, hex: hexOf(spec.diffId), what: `layer ${i} uncompressed tar, rootfs.diff_ids[${i}]` };
  const layer: ImageLayer = {
    index: spec.index,
    digest: spec.digest,
    diffId: spec.diffId,
    ...(spec.mediaType !== undefined ? { mediaType: spec.mediaType } : {}),
    size: blob.size,
    compression,
    blob,
    async *open() {
      // An uncompressed blob is the tar itself: one hash serves both checks.
      const raw = new DigestCheck(streamSource(blob), compression === "none" ? [...stored, tar] : stored);
      const decoded =
        compression === "none"
          ? undefined
          : new DigestCheck(
              decompressStream(compression, raw.stream(), { name: blob.name, maxOutput: maxLayerOutput(blob.size) }),
              [tar],
            );
      try {
        yield* (decoded ?? raw).stream();
      } catch (err) {
        // A corrupt blob usually fails the decoder first; the digest is the better diagnosis.
        await raw.finish();
        throw err;
      }
      await raw.finish();
      await decoded?.finish();
    },
    async verify() {
      if (compression === "none") {
        const hex = await sha256(blob, spec.archive, spec.offset);
        for (const e of [...stored, tar]) compare(e, blob.size, hex);
        return;
      }
      for await (const _ of layer.open()) {
        // read to the end, where the digest is compared
      }
    },
  };
  return layer;
}
