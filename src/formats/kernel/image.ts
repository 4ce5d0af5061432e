import { X509Certificate } from "node:crypto";
import { FormatError } from "../../io/errors.js";
import { release } from "../../io/release.js";
import { type ByteSource, SliceSource } from "../../io/source.js";
import { setNonZeroPages } from "../../io/zero-pages.js";
import { decompressStream } from "../compress/decompress.js";
import { type Compression, SUPPORTED, sniff } from "../compress/magic.js";
import { memberLength } from "../initramfs/members.js";
import { type Certificate, parseCertificate } from "../x509/certificate.js";
import { type KernelConfig, readEmbeddedConfig } from "./ikconfig.js";
import { readExportCrcs } from "./ksymtab.js";

export interface KernelImage {
  readonly format: "bzImage" | "zboot";
  /** The first word of the version string: what `uname -r` and module vermagic say. */
  readonly release: string;
  /** bzImage: the setup header's kernel_version string; zboot: the Image's banner after `Linux version `. */
  readonly version: string;
  readonly compression: Compression;
  readonly payloadOffset: number;
  readonly payloadLength: number;
  /** Every DER certificate found in the decompressed kernel, in order (the system certificate list). */
  readonly certificates: readonly Certificate[];
  /** The built-in configuration, when the kernel was built with CONFIG_IKCONFIG. */
  readonly config?: KernelConfig;
  /** The CRC of each exported symbol, when the kernel was built with CONFIG_MODVERSIONS. */
  readonly exportCrcs?: ReadonlyMap<string, number>;
}

/** A decompressed kernel is tens of MiB; a bomb is refused. */
const MAX_KERNEL = 512 << 20;

const u16 = (b: Uint8Array, o: number) => (b[o] as number) | ((b[o + 1] as number) << 8);
const u32 = (b: Uint8Array, o: number) => new DataView(b.buffer, b.byteOffset, b.length).getUint32(o, true);
const hex = (n: number) => `0x${n.toString(16)}`;
const latin1 = (b: Uint8Array) => new TextDecoder("latin1").decode(b);

/** Where the compressed payload lies, as the header states it. */
interface Header {
  readonly format: "bzImage" | "zboot";
  readonly version: string;
  readonly payloadOffset: number;
  readonly payloadLength: number;
  /** The header fields holding offset and length, named in errors. */
  readonly offsetField: number;
  readonly lengthField: number;
  /** zboot: the compression name at 24. */
  readonly zbootName?: string;
}

/** x86 bzImage: setup header at 0x1F1 (Documentation/arch/x86/boot.rst); arm64 EFI zboot: `zimg` at 4. */
async function readHeader(src: ByteSource): Promise<Header> {
  const h = await src.read(0, Math.min(src.size, 0x270), "kernel header");
  if (h.length >= 8 && latin1(h.subarray(4, 8)) === "zimg") return zbootHeader(src, h);
  if (h.length < 0x270 || latin1(h.subarray(0x202, 0x206)) !== "HdrS") {
    throw new FormatError(
      src.name,
      0x202,
      "kernel setup header",
      "`HdrS` (an x86 bzImage) or `zimg` (an EFI zboot image)",
    );
  }
  const protocol = u16(h, 0x206);
  if (protocol < 0x208) throw new FormatError(src.name, 0x206, "boot protocol", "2.08 or later", protocol.toString(16));
  // Protected-mode code, and the payload_offset it is relative to, start after the setup sectors.
  const setupEnd = ((h[0x1f1] as number) || 4) * 512 + 512;
  return {
    format: "bzImage",
    version: await kernelVersion(src, h, setupEnd),
    payloadOffset: setupEnd + u32(h, 0x248),
    payloadLength: u32(h, 0x24c),
    offsetField: 0x248,
    lengthField: 0x24c,
  };
}

/** kernel_version (0x20E) points, less 0x200, at a NUL-terminated printable string inside the setup code. */
async function kernelVersion(src: ByteSource, h: Uint8Array, setupEnd: number): Promise<string> {
  const at = u16(h, 0x20e) + 0x200;
  if (at >= setupEnd) {
    throw new FormatError(
      src.name,
      0x20e,
      "kernel_version",
      `a pointer below ${hex(setupEnd - 0x200)} (the setup)`,
      hex(at - 0x200),
    );
  }
  const s = await src.read(at, Math.min(setupEnd, src.size) - at, "kernel_version string");
  let n = 0;
  for (; n < s.length && s[n] !== 0; n++) {
    const b = s[n] as number;
    if (b < 0x20 || b > 0x7e)
      throw new FormatError(src.name, at + n, "kernel_version string", "printable ASCII", `byte ${hex(b)}`);
  }
  if (n === s.length)
    throw new FormatError(src.name, at + n, "kernel_version string", "a NUL inside the setup", "none");
  if (n === 0) throw new FormatError(src.name, at, "kernel_version string", "a version", "an empty string");
  return latin1(s.subarray(0, n));
}

/** drivers/firmware/efi/libstub/zboot-header.S: `MZ`, `zimg`, payload offset and size, compression name. */
function zbootHeader(src: ByteSource, h: Uint8Array): Header {
  if (h.length < 0x40) throw new FormatError(src.name, h.length, "zboot header", "0x40 bytes", "end of file");
  if (h[0] !== 0x4d || h[1] !== 0x5a) {
    throw new FormatError(
      src.name,
      0,
      "zboot header",
      "`MZ` (a PE file)",
      `${hex(h[0] as number)} ${hex(h[1] as number)}`,
    );
  }
  // The name ends before the PE header offset at 0x3C.
  const end = h.subarray(0, 0x3c).indexOf(0, 24);
  if (end < 0) throw new FormatError(src.name, 24, "zboot compression name", "a NUL before 0x3C", "none");
  return {
    format: "zboot",
    version: "",
    payloadOffset: u32(h, 8),
    payloadLength: u32(h, 12),
    offsetField: 8,
    lengthField: 12,
    zbootName: latin1(h.subarray(24, end)),
  };
}

/** The names Makefile.zboot writes (`zstd22` until 6.12, `zstd` since). */
const ZBOOT_NAMES = new Map<string, Compression>([
  ["gzip", "gzip"],
  ["zstd22", "zstd"],
  ["zstd", "zstd"],
  ["xzkern", "xz"],
  ["lz4", "lz4-legacy"],
  ["lzma", "lzma"],
  ["lzo", "lzo"],
]);

/** DER certificates: `30 82 L L 30 82 M M A0 03 02 01 02` (a v3 certificate with two-byte lengths). */
function scanCertificates(kernel: Uint8Array, file: string): Certificate[] {
  const out: Certificate[] = [];
  const needle = Uint8Array.from([0xa0, 0x03, 0x02, 0x01, 0x02]);
  const buf = Buffer.from(kernel.buffer, kernel.byteOffset, kernel.length);
  for (let i = buf.indexOf(needle, 8); i >= 0; i = buf.indexOf(needle, i + 1)) {
    const at = i - 8;
    if (buf[at] !== 0x30 || buf[at + 1] !== 0x82 || buf[at + 4] !== 0x30 || buf[at + 5] !== 0x82) continue;
    const len = 4 + buf.readUInt16BE(at + 2);
    if (len < 256 || at + len > buf.length) continue;
    const der = kernel.subarray(at, at + len);
    try {
      new X509Certificate(der);
    } catch {
      continue;
    }
    out.push(parseCertificate(Uint8Array.from(der), file, at));
    i = at + len - 1;
  }
  return out;
}

/**
 * Reads a kernel image: release, the payload decompressed (exactly its first member: the kernel appends a
 * 4-byte size after it, checked against what it decodes to), and the certificates built into it.
 */
export async function readKernelImage(src: ByteSource): Promise<KernelImage> {
  const h = await readHeader(src);
  const at = h.payloadOffset;
  if (at + h.payloadLength > src.size || h.payloadLength < 8) {
    throw new FormatError(
      src.name,
      h.offsetField,
      "kernel payload",
      `a payload inside the ${src.size}-byte file`,
      `offset ${at}, length ${h.payloadLength}`,
    );
  }
  const head = await src.read(at, 8, "payload magic");
  const compression = sniff(head);
  if (compression === undefined || !SUPPORTED.has(compression)) {
    throw new FormatError(
      src.name,
      at,
      "kernel payload",
      "a compressed kernel (zstd, xz, gzip, lz4)",
      compression ?? `magic ${Buffer.from(head.subarray(0, 4)).toString("hex")}`,
    );
  }
  if (h.zbootName !== undefined && ZBOOT_NAMES.get(h.zbootName) !== compression) {
    throw new FormatError(
      src.name,
      24,
      "zboot compression name",
      `a name for the payload's ${compression}`,
      `"${h.zbootName}"`,
    );
  }
  // The build appends the decompressed size (gzip's own ISIZE plays that part); a bzImage's payload_length
  // counts those 4 bytes, zboot's size leaves them out.
  const gzip = compression === "gzip";
  const streamEnd = at + h.payloadLength - (h.format === "bzImage" && !gzip ? 4 : 0);
  const sizeAt = gzip ? streamEnd - 4 : streamEnd;
  if (sizeAt + 4 > src.size) {
    throw new FormatError(src.name, sizeAt, "payload size", "4 bytes after the payload", "end of file");
  }
  const length = await streamLength(src, h, compression, streamEnd);
  const size = u32(await src.read(sizeAt, 4, "payload size"), 0);
  // Decoded straight into a buffer of the stated size: a kernel is tens of MiB, and parts joined after would
  // hold it twice. What does not fit is only counted, for the error.
  const kernel = new Uint8Array(Math.min(size, MAX_KERNEL));
  let decoded = 0;
  const stream = decompressStream(compression, [await src.read(at, length, "kernel payload")], {
    name: `${src.name}!payload`,
    maxOutput: MAX_KERNEL,
    reuse: true,
  });
  for await (const part of stream) {
    if (decoded + part.length <= kernel.length) setNonZeroPages(kernel, part, decoded);
    decoded += part.length;
  }
  try {
    if (size !== decoded) {
      throw new FormatError(src.name, sizeAt, "payload size", `${decoded} (the decompressed length)`, String(size));
    }
    const version = h.format === "bzImage" ? h.version : banner(kernel, src.name, at);
    const config = await readEmbeddedConfig(kernel, `${src.name}!payload`);
    const exportCrcs = await readExportCrcs(kernel, `${src.name}!payload`);
    return {
      format: h.format,
      release: version.split(" ")[0] as string,
      version,
      compression,
      payloadOffset: at,
      payloadLength: h.payloadLength,
      certificates: scanCertificates(kernel, src.name),
      ...(config === undefined ? {} : { config }),
      ...(exportCrcs === undefined ? {} : { exportCrcs }),
    };
  } finally {
    // The facts hold copies, never views of the payload: tens of MiB go now, not at the next full collection.
    release(kernel.buffer);
  }
}

/**
 * The compressed stream's length by its own framing, which must end where the header says. lz4's legacy
 * framing has no end mark (the size after it would read as one more block): it is walked only up to the
 * stated end, and blocks that overrun it mean the stated length is wrong.
 */
async function streamLength(src: ByteSource, h: Header, compression: Compression, streamEnd: number) {
  const at = h.payloadOffset;
  const lz4 = compression === "lz4-legacy";
  const payload = new SliceSource(src, at, (lz4 ? streamEnd : src.size) - at, `${src.name}!payload`);
  let length = -1;
  try {
    length = await memberLength(compression, payload, 0);
  } catch (err) {
    if (!lz4 || !(err instanceof FormatError)) throw err;
  }
  if (at + length !== streamEnd) {
    throw new FormatError(
      src.name,
      h.lengthField,
      "payload length",
      length < 0
        ? "a length that ends with an lz4 block"
        : `${h.payloadLength + at + length - streamEnd} (where the ${compression} stream ends)`,
      String(h.payloadLength),
    );
  }
  return length;
}

/** A raw arm64 Image carries `Linux version <release> (...) ...\n` (init/version.c linux_banner) in its rodata. */
function banner(kernel: Uint8Array, file: string, payloadOffset: number): string {
  const buf = Buffer.from(kernel.buffer, kernel.byteOffset, kernel.length);
  const at = buf.indexOf("Linux version ");
  if (at < 0) throw new FormatError(file, payloadOffset, "decompressed Image", "a `Linux version ` banner", "none");
  return buf
    .subarray(at + 14, at + 14 + 256)
    .toString("latin1")
    .split("\n")[0] as string;
}
