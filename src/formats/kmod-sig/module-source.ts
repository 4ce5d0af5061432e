import { BufferSource, type ByteSource } from "../../io/source.js";
import { decompressBuffer } from "../compress/decompress.js";
import { sniff } from "../compress/magic.js";

/** Modules are at most a few hundred MiB uncompressed; a larger one is a bomb. */
const MAX_MODULE = 1 << 30;

/**
 * The module as the kernel sees it: `.ko` as it is, `.ko.xz/.ko.zst/.ko.gz` decompressed (the signature is
 * appended before compression, so it sits inside).
 */
export async function moduleSource(src: ByteSource): Promise<ByteSource> {
  const kind = sniff(await src.read(0, Math.min(8, src.size), "module header"));
  if (kind === undefined) return src;
  const bytes = await src.read(0, src.size, "compressed module");
  return new BufferSource(src.name, await decompressBuffer(kind, bytes, { name: src.name, maxOutput: MAX_MODULE }));
}
