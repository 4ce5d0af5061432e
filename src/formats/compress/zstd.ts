import { Transform, type TransformCallback } from "node:stream";
import { Decompress, decompress as fzstdDecompress } from "fzstd";

/**
 * zstd decoders: the native libzstd binding (zstd-napi, several times faster) when it is installed and
 * loads, else fzstd, pure JavaScript, slow with large windows but always there.
 */
interface Native {
  DecompressStream: new () => Transform;
  Decompressor: new () => { decompress(b: Uint8Array): Buffer };
}

let native: Native | undefined | null = null;

export async function loadNativeZstd(): Promise<Native | undefined> {
  if (native === null) {
    try {
      native = (await import("zstd-napi")) as unknown as Native;
    } catch {
      native = undefined;
    }
  }
  return native;
}

/** Which decoder `zstdTransform` will use: `native` or `fzstd`. */
export async function zstdBackend(): Promise<"native" | "fzstd"> {
  return (await loadNativeZstd()) ? "native" : "fzstd";
}

class FzstdTransform extends Transform {
  private readonly d = new Decompress((chunk) => {
    this.push(chunk);
  });
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.d.push(chunk);
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }
  override _flush(cb: TransformCallback): void {
    try {
      this.d.push(new Uint8Array(0), true);
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }
}

export async function zstdTransform(backend?: "native" | "fzstd"): Promise<Transform> {
  const n = backend === "fzstd" ? undefined : await loadNativeZstd();
  return n ? new n.DecompressStream() : new FzstdTransform();
}

/**
 * One decoder context for every block: each native context holds memory outside the JavaScript heap, which
 * the collector frees too late when thousands of SquashFS blocks each make their own.
 */
let blockDecoder: { decompress(b: Uint8Array): Buffer } | undefined;

/** One zstd frame in memory; the native decoder is loaded once by the first stream or `loadNativeZstd`. */
export function zstdBlock(bytes: Uint8Array): Uint8Array {
  if (!native) return fzstdDecompress(bytes);
  blockDecoder ??= new native.Decompressor();
  return blockDecoder.decompress(bytes);
}
