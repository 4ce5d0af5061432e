import type { TarEntry } from "../formats/tar/entry.js";
import { readTar } from "../formats/tar/reader.js";
import { walkTar } from "../formats/tar/walk.js";
import { FormatError } from "../io/errors.js";
import { type ByteSource, SliceSource, streamSource } from "../io/source.js";
import type { Entry, Layer, LayerContent, LayerKind } from "./layer.js";

const BLOCK = 512;

function layerEntry(e: TarEntry): Entry {
  return {
    path: e.path,
    type: e.type,
    mode: e.mode,
    uid: e.uid,
    gid: e.gid,
    size: e.size,
    mtime: e.mtime,
    ...(e.linkTarget !== undefined ? { linkTarget: e.linkTarget } : {}),
    ...(e.type === "char" || e.type === "block" ? { rdev: { major: e.devmajor, minor: e.devminor } } : {}),
    xattrs: e.xattrs,
    at: e.headerOffset,
  };
}

export interface TarLayerSource {
  readonly id: string;
  readonly kind: LayerKind;
  readonly description: string;
  /** The uncompressed tar stream (decoded and checked however the source needs). */
  open(): AsyncIterable<Uint8Array>;
  /** The tar itself in random-access storage, when it is stored uncompressed. */
  readonly uncompressed?: ByteSource;
  /**
   * Checks the stored bytes (a digest): beside the listing of an uncompressed tar, and after the tar reader
   * failed (a corrupt blob is the better report).
   */
  verify?(): Promise<void>;
}

/** A tar as a Layer of the file-system model; an entry's `at` is its member's header offset in the tar. */
export class TarLayer implements Layer {
  readonly id: string;
  readonly kind: LayerKind;
  readonly description: string;

  constructor(private readonly source: TarLayerSource) {
    this.id = source.id;
    this.kind = source.kind;
    this.description = source.description;
  }

  /**
   * The entries; the listing ends once the layer's digest is checked. An uncompressed tar is listed from its
   * headers alone while its digest is checked beside it; a compressed one is decoded, and checked where its
   * stream ends.
   */
  async *entries(): AsyncGenerator<Entry> {
    const { uncompressed } = this.source;
    const checked = uncompressed && this.source.verify?.();
    checked?.catch(() => undefined); // awaited below, whether the listing fails or not
    try {
      // Named as the layer, as the streamed tar is: errors read the same either way.
      const named = uncompressed && new SliceSource(uncompressed, 0, uncompressed.size, this.description);
      if (named) for await (const e of walkTar(named)) yield layerEntry(e);
      else for await (const { entry } of readTar(this.source.open(), this.description)) yield layerEntry(entry);
    } catch (err) {
      if (err instanceof FormatError) await (checked ?? this.source.verify?.());
      throw err;
    }
    await checked;
  }

  /** A regular file's bytes in place, when the tar is stored uncompressed; undefined otherwise. */
  slice(entry: Entry): ByteSource | undefined {
    const tar = this.source.uncompressed;
    return tar && new SliceSource(tar, entry.at + BLOCK, entry.size, `${this.description}!${entry.path}`);
  }

  /**
   * An uncompressed tar is read in place at each member's offset. A compressed one is decoded from its start
   * up to the last wanted member: reading one file costs decoding the layer up to it, so read many files
   * with one call. Stopping early skips a digest check made when the stream ends, which listing the
   * entries (the whole stream) made.
   */
  async *contents(wanted: readonly Entry[]): AsyncGenerator<LayerContent> {
    const sorted = [...wanted].sort((a, b) => a.at - b.at);
    if (this.source.uncompressed !== undefined) {
      for (const entry of sorted) yield { entry, body: streamSource(this.slice(entry) as ByteSource) };
      return;
    }
    const byOffset = new Map(sorted.map((e) => [e.at, e]));
    const last = sorted[sorted.length - 1]?.at ?? -1;
    for await (const { entry, body } of readTar(this.source.open(), this.description)) {
      if (entry.headerOffset > last) return;
      const w = byOffset.get(entry.headerOffset);
      if (w !== undefined) yield { entry: w, body };
    }
  }
}
