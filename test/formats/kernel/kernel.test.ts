import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readKernelImage } from "../../../src/formats/kernel/image.js";
import { BufferSource } from "../../../src/io/source.js";

const fixtures = join(import.meta.dirname, "../../fixtures");
const debian = join(fixtures, "out/debian-kernel");
const tiny = join(fixtures, "committed/tiny-kernel");
const arm = join(fixtures, "committed/tiny-kernel-arm64");

/** The CLI that reads each payload compression (`lz4 -d` reads the kernel's legacy framing). */
const TOOL = { xz: "xz", zstd: "zstd", gzip: "gzip", "lz4-legacy": "lz4" } as const;

/** Real kernels: each build's directory, the file, its format and the compression the build chose. */
const KERNELS = [
  ["Debian's bzImage (xz with BCJ)", debian, "vmlinuz", "bzImage", "xz"],
  ["the tiny bzImage (zstd, like Talos')", tiny, "vmlinuz", "bzImage", "zstd"],
  ["the tiny bzImage packed with gzip", tiny, "vmlinuz-gzip", "bzImage", "gzip"],
  ["the tiny bzImage packed with lz4", tiny, "vmlinuz-lz4", "bzImage", "lz4-legacy"],
  ["the arm64 EFI zboot image (zstd, like Talos')", arm, "vmlinuz.efi", "zboot", "zstd"],
  ["the arm64 EFI zboot image packed with gzip", arm, "vmlinuz-gzip.efi", "zboot", "gzip"],
] as const;

const read = (dir: string, file = "vmlinuz") => Buffer.from(readFileSync(join(dir, file)));
const image = (name: string, bytes: Uint8Array) => readKernelImage(new BufferSource(name, bytes));
const release = (dir: string) => readFileSync(join(dir, "release"), "utf8").trim();

/** A bzImage's payload as its setup header places it (FORMATS.md 2.1), read here apart from the parser. */
function bzPayload(b: Buffer): { at: number; length: number } {
  return { at: ((b[0x1f1] as number) + 1) * 512 + b.readUInt32LE(0x248), length: b.readUInt32LE(0x24c) };
}

/** What the compression's own CLI decodes the stream to. */
function decoded(tool: string, stream: Uint8Array): Buffer {
  return execFileSync(tool, ["-dc"], { input: stream, maxBuffer: 256 << 20 });
}

/** How the x509 reader writes a Name (src/formats/x509). */
const NAMEOPT = "esc_2253,esc_ctrl,utf8,sep_comma_plus_space,sname";

/** `openssl x509` on the certificate the build signed modules with: DER, serial, subject. */
function signingKey(dir: string): { der: Buffer; serial: string; subject: string } {
  const der = join(dir, "signing_key.x509");
  const text = execFileSync(
    "openssl",
    ["x509", "-inform", "DER", "-in", der, "-noout", "-serial", "-subject", "-nameopt", NAMEOPT],
    { encoding: "utf8" },
  );
  return {
    der: readFileSync(der),
    serial: /serial=([0-9A-F]+)/.exec(text)?.[1] ?? "",
    subject: /subject=(.*)/.exec(text)?.[1] ?? "",
  };
}

describe("readKernelImage on real kernels", () => {
  it.each(KERNELS)("%s: release as the build wrote it, payload compression", async (_n, dir, file, format, comp) => {
    const k = await image(file, read(dir, file));
    expect(k.format).toBe(format);
    expect(k.release).toBe(release(dir));
    expect(k.compression).toBe(comp);
    if (format === "bzImage") {
      // `file` prints the setup header's whole kernel_version string.
      const described = execFileSync("file", ["-b", join(dir, file)], { encoding: "utf8" });
      expect(described).toContain(`version ${k.version}, `);
    } else {
      // The banner names the builder the fixture script set (KBUILD_BUILD_USER@KBUILD_BUILD_HOST).
      expect(k.version).toMatch(new RegExp(`^${k.release} \\(talos-ext@fixtures\\) \\(aarch64-linux-gnu-gcc `));
    }
  });

  it.each(KERNELS)(
    "%s: the stream the header places is one the compression's CLI decodes, to the size appended after it",
    async (_n, dir, file, format, comp) => {
      const b = read(dir, file);
      const k = await image(file, b);
      const sizeAppended = format === "bzImage" && comp !== "gzip";
      const end = k.payloadOffset + k.payloadLength - (sizeAppended ? 4 : 0);
      const out = decoded(TOOL[comp], b.subarray(k.payloadOffset, end));
      // gzip's ISIZE is the last 4 bytes of its stream; the others have them appended.
      expect(b.readUInt32LE(comp === "gzip" ? end - 4 : end)).toBe(out.length);
      if (format === "bzImage") expect(bzPayload(b)).toEqual({ at: k.payloadOffset, length: k.payloadLength });
      else expect([b.readUInt32LE(8), b.readUInt32LE(12)]).toEqual([k.payloadOffset, k.payloadLength]);
    },
  );

  it.each(KERNELS.filter(([, dir]) => dir !== debian))(
    "%s: the one certificate built in is the build's signing key, as openssl reads it",
    async (_n, dir, file) => {
      const k = await image(file, read(dir, file));
      const key = signingKey(dir);
      expect(k.certificates.map((c) => Buffer.from(c.der))).toEqual([key.der]);
      expect(k.certificates[0]?.serial.replaceAll(":", "")).toBe(key.serial);
      expect(k.certificates[0]?.subject).toBe(key.subject);
    },
  );

  it("Debian's bzImage: its built-in certificates are found", async () => {
    const k = await image("vmlinuz", read(debian));
    expect(k.certificates.length).toBeGreaterThan(0);
  });
});

describe("readKernelImage refuses a header that lies", () => {
  const zstd = read(tiny);
  const { at } = bzPayload(zstd);
  const setupEnd = ((zstd[0x1f1] as number) + 1) * 512;

  it("a payload outside the file: payload_offset and payload_length, at 0x248", async () => {
    const b = Buffer.from(zstd);
    b.writeUInt32LE(b.length * 2, 0x24c);
    await expect(image("bad", b)).rejects.toThrow(/^bad: offset 584 \(kernel payload\)/);
  });

  it("a payload with no known compression magic: the payload's first byte", async () => {
    const b = Buffer.from(zstd);
    b.writeUInt32LE(0, at);
    await expect(image("bad", b)).rejects.toThrow(
      `bad: offset ${at} (kernel payload): expected a compressed kernel (zstd, xz, gzip, lz4), found magic 00000000`,
    );
  });

  it.each([
    ["zstd", "vmlinuz", (real: number) => `${real} (where the zstd stream ends)`],
    ["gzip", "vmlinuz-gzip", (real: number) => `${real} (where the gzip stream ends)`],
    // lz4's legacy framing has no end mark: only that the stated end falls inside a block is known.
    ["lz4", "vmlinuz-lz4", () => "a length that ends with an lz4 block"],
  ])("a payload_length shorter than the %s stream: the payload_length field", async (_c, file, expected) => {
    const b = read(tiny, file);
    const real = bzPayload(b).length;
    b.writeUInt32LE(real - 16, 0x24c);
    await expect(image("bad", b)).rejects.toThrow(
      `bad: offset 588 (payload length): expected ${expected(real)}, found ${real - 16}`,
    );
  });

  it.each([
    ["the zstd bzImage", tiny, "vmlinuz", "zstd"],
    ["the lz4 bzImage", tiny, "vmlinuz-lz4", "lz4"],
  ])("a size after the payload that is not the decoded length (%s): the size's offset", async (_n, dir, file, tool) => {
    const b = read(dir, file);
    const p = bzPayload(b);
    const sizeAt = p.at + p.length - 4;
    const real = decoded(tool, b.subarray(p.at, sizeAt)).length;
    b.writeUInt32LE(real + 1, sizeAt);
    await expect(image("bad", b)).rejects.toThrow(
      `bad: offset ${sizeAt} (payload size): expected ${real} (the decompressed length), found ${real + 1}`,
    );
  });

  it("a kernel_version pointer past the setup (0xffff): the kernel_version field", async () => {
    const b = Buffer.from(zstd);
    b.writeUInt16LE(0xffff, 0x20e);
    await expect(image("bad", b)).rejects.toThrow(/^bad: offset 526 \(kernel_version\): .*, found 0xffff$/);
  });

  it("a kernel_version string with a control byte: that byte", async () => {
    const b = Buffer.from(zstd);
    const v = b.readUInt16LE(0x20e) + 0x200;
    b[v + 3] = 0x01;
    await expect(image("bad", b)).rejects.toThrow(
      `bad: offset ${v + 3} (kernel_version string): expected printable ASCII, found byte 0x1`,
    );
  });

  it("a kernel_version string without its NUL before the setup ends: the setup's end", async () => {
    const b = Buffer.from(zstd);
    const v = b.readUInt16LE(0x20e) + 0x200;
    b.fill(0x41, v, setupEnd);
    await expect(image("bad", b)).rejects.toThrow(`bad: offset ${setupEnd} (kernel_version string)`);
  });
});

describe("readKernelImage refuses a zboot header that lies", () => {
  const efi = read(arm, "vmlinuz.efi");
  const at = efi.readUInt32LE(8);
  const length = efi.readUInt32LE(12);

  it("a file that ends inside the zboot header: its end", async () => {
    await expect(image("bad", efi.subarray(0, 0x30))).rejects.toThrow(
      "bad: offset 48 (zboot header): expected 0x40 bytes, found end of file",
    );
  });

  it("no `MZ` at 0", async () => {
    const b = Buffer.from(efi);
    b[0] = 0;
    await expect(image("bad", b)).rejects.toThrow(/^bad: offset 0 \(zboot header\): expected `MZ`/);
  });

  it.each([
    ["names another compression", "gzip\0\0"],
    ["is no compression", "bogus\0"],
  ])("a compression name that %s: the name at 24", async (_n, name) => {
    const b = Buffer.from(efi);
    b.write(name, 24, "latin1");
    await expect(image("bad", b)).rejects.toThrow(/^bad: offset 24 \(zboot compression name\)/);
  });

  it("a compression name without its NUL before 0x3C: the name at 24", async () => {
    const b = Buffer.from(efi);
    b.fill(0x61, 24, 0x3c);
    await expect(image("bad", b)).rejects.toThrow(
      "bad: offset 24 (zboot compression name): expected a NUL before 0x3C, found none",
    );
  });

  it("a payload outside the file: payload offset and size, at 8", async () => {
    const b = Buffer.from(efi);
    b.writeUInt32LE(b.length, 12);
    await expect(image("bad", b)).rejects.toThrow(
      `bad: offset 8 (kernel payload): expected a payload inside the ${b.length}-byte file, found offset ${at}, length ${b.length}`,
    );
  });

  it("a payload size shorter than the zstd stream: the size field at 12", async () => {
    const b = Buffer.from(efi);
    b.writeUInt32LE(length - 16, 12);
    await expect(image("bad", b)).rejects.toThrow(
      `bad: offset 12 (payload length): expected ${length} (where the zstd stream ends), found ${length - 16}`,
    );
  });

  it("a size after the payload that is not the decoded length: the size's offset", async () => {
    const b = Buffer.from(efi);
    const real = decoded("zstd", b.subarray(at, at + length)).length;
    b.writeUInt32LE(real - 1, at + length);
    await expect(image("bad", b)).rejects.toThrow(
      `bad: offset ${at + length} (payload size): expected ${real} (the decompressed length), found ${real - 1}`,
    );
  });

  it("a payload with no known compression magic: the payload's first byte", async () => {
    const b = Buffer.from(efi);
    b.writeUInt32LE(0, at);
    await expect(image("bad", b)).rejects.toThrow(`bad: offset ${at} (kernel payload)`);
  });
});

describe("readKernelImage on other files", () => {
  it("a file that is no kernel", async () => {
    await expect(image("x", new Uint8Array(4096))).rejects.toThrow(/`HdrS`/);
  });
});
