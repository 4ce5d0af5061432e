/** Compressions the kernel, image layers and SquashFS use, told apart by their first bytes. */
export type Compression = "gzip" | "zstd" | "xz" | "lz4-frame" | "lz4-legacy" | "bzip2" | "lzma" | "lzo";

/** The ones this library decodes; the others are recognised only to name them in an error. */
export const SUPPORTED: ReadonlySet<Compression> = new Set(["gzip", "zstd", "xz", "lz4-frame", "lz4-legacy"]);

/** The kernel's lz4 legacy format: this u32 LE starts a stream, and a further one inside it is skipped. */
export const LZ4_LEGACY_MAGIC = 0x184c2102;

const starts = (b: Uint8Array, magic: readonly number[]): boolean => magic.every((m, i) => b[i] === m);

/** The kernel's table (lib/decompress.c) plus the lz4 frame format. */
export function sniff(head: Uint8Array): Compression | undefined {
  if (starts(head, [0x1f, 0x8b]) || starts(head, [0x1f, 0x9e])) return "gzip";
  if (starts(head, [0x28, 0xb5, 0x2f, 0xfd])) return "zstd";
  if (starts(head, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return "xz";
  if (starts(head, [0x04, 0x22, 0x4d, 0x18])) return "lz4-frame";
  if (starts(head, [0x02, 0x21, 0x4c, 0x18])) return "lz4-legacy";
  if (starts(head, [0x42, 0x5a, 0x68])) return "bzip2";
  if (starts(head, [0x5d, 0x00, 0x00])) return "lzma";
  if (starts(head, [0x89, 0x4c, 0x5a, 0x4f])) return "lzo";
  return undefined;
}
