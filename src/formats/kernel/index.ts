import { X509Certificate } from "node:crypto";
import { FormatError } from "../../errors.js";
import { type ByteSource, SliceSource } from "../../io/source.js";
import { type Compression, decompressBuffer, sniff } from "../compress/index.js";
import { memberLength } from "../initramfs/members.js";
import { type Certificate, parseCertificate } from "../x509/index.js";

export interface KernelImage {
  readonly format: "bzImage" | "zboot";
  /** The first word of the version string: what `uname -r` and module vermagic say. */
  readonly release: string;
  readonly version: string;
  readonly compression: Compression;
  readonly payloadOffset: number;
  readonly payloadLength: number;
  /** Every DER certificate found in the decompressed kernel, in order (the system certificate list). */
  readonly certificates: readonly Certificate[];
}

/** A decompressed kernel is tens of MiB; a bomb is refused. */
const MAX_KERNEL = 512 << 20;

const u16 = (b: Uint8Array, o: number) => (b[o] as number) | ((b[o + 1] as number) << 8);
const u32 = (b: Uint8Array, o: number) => new DataView(b.buffer, b.byteOffset, b.length).getUint32(o, true);

/** x86 bzImage: setup header at 0x1F1 (Documentation/arch/x86/boot.rst); arm64 EFI zboot: `zimg` at 4. */
async function locatePayload(
  src: ByteSource,
): Promise<Omit<KernelImage, "certificates" | "compression" | "release"> & { version: string }> {
  const h = await src.read(0, Math.min(src.size, 0x270), "kernel header");
  if (h.length >= 16 && new TextDecoder("latin1").decode(h.subarray(4, 8)) === "zimg") {
    return { format: "zboot", version: "", payloadOffset: u32(h, 8), payloadLength: u32(h, 12) };
  }
  if (h.length < 0x270 || new TextDecoder("latin1").decode(h.subarray(0x202, 0x206)) !== "HdrS") {
    throw new FormatError(
      src.name,
      0x202,
      "kernel setup header",
      "`HdrS` (an x86 bzImage) or `zimg` (an EFI zboot image)",
    );
  }
  const protocol = u16(h, 0x206);
  if (protocol < 0x208) throw new FormatError(src.name, 0x206, "boot protocol", "2.08 or later", protocol.toString(16));
  const setupSects = h[0x1f1] || 4;
  const versionAt = u16(h, 0x20e) + 0x200;
  const vbytes = await src.read(versionAt, Math.min(256, src.size - versionAt), "kernel_version string");
  const nul = vbytes.indexOf(0);
  const version = new TextDecoder().decode(vbytes.subarray(0, nul < 0 ? vbytes.length : nul));
  return {
    format: "bzImage",
    version,
    payloadOffset: (setupSects + 1) * 512 + u32(h, 0x248),
    payloadLength: u32(h, 0x24c),
  };
}

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
 * 4-byte size after it), and the certificates built into it.
 */
export async function readKernelImage(src: ByteSource): Promise<KernelImage> {
  const loc = await locatePayload(src);
  if (loc.payloadOffset + loc.payloadLength > src.size || loc.payloadLength < 8) {
    throw new FormatError(
      src.name,
      0x248,
      "kernel payload",
      `a payload inside the ${src.size}-byte file`,
      `offset ${loc.payloadOffset}, length ${loc.payloadLength}`,
    );
  }
  const payload = new SliceSource(src, loc.payloadOffset, loc.payloadLength, `${src.name}!payload`);
  const compression = sniff(await payload.read(0, 8, "payload magic"));
  if (compression === undefined) {
    throw new FormatError(
      src.name,
      loc.payloadOffset,
      "kernel payload",
      "a compressed kernel (zstd, xz, gzip, lz4)",
      "unknown magic",
    );
  }
  const length = compression === "lz4-legacy" ? payload.size - 4 : await memberLength(compression, payload, 0);
  const kernel = await decompressBuffer(compression, await payload.read(0, length, "kernel payload"), {
    name: payload.name,
    maxOutput: MAX_KERNEL,
  });
  const release = loc.format === "bzImage" ? (loc.version.split(" ")[0] ?? "") : armRelease(kernel);
  return { ...loc, release, compression, certificates: scanCertificates(kernel, src.name) };
}

/** A raw arm64 Image carries `Linux version <release> ` in its rodata. */
function armRelease(kernel: Uint8Array): string {
  const buf = Buffer.from(kernel.buffer, kernel.byteOffset, kernel.length);
  const at = buf.indexOf("Linux version ");
  if (at < 0) return "";
  return (
    buf
      .subarray(at + 14, at + 14 + 128)
      .toString("latin1")
      .split(" ")[0] ?? ""
  );
}
