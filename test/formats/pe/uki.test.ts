import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readKernelImage } from "../../../src/formats/kernel/image.js";
import { readAuthenticode, verifyAuthenticode } from "../../../src/formats/pe/authenticode.js";
import { readPeHeader } from "../../../src/formats/pe/header.js";
import { readUki } from "../../../src/formats/pe/uki.js";
import { FormatError } from "../../../src/io/errors.js";
import { BufferSource } from "../../../src/io/source.js";

const fixtures = join(import.meta.dirname, "../../fixtures");
const dir = join(fixtures, "out/uki");
const read = (file: string) => Buffer.from(readFileSync(join(dir, file)));
const source = (file: string, bytes = read(file)) => new BufferSource(file, bytes);

/** `objdump -h`'s rows: name, size, VMA and file offset, as BFD reads the section table. */
function objdumpSections(path: string) {
  const out = execFileSync("objdump", ["-h", path], { encoding: "utf8" });
  return [...out.matchAll(/^\s*\d+ (\S+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)/gm)].map((m) => ({
    name: m[1],
    size: Number.parseInt(m[2] as string, 16),
    vma: Number.parseInt(m[3] as string, 16),
    offset: Number.parseInt(m[4] as string, 16),
  }));
}

/** The certificate's subject as openssl prints it in RFC 2253 order (the x509 reader's form). */
const subjectOf = (der: string) =>
  execFileSync("openssl", ["x509", "-inform", "DER", "-in", der, "-noout", "-subject", "-nameopt", "RFC2253"], {
    encoding: "utf8",
  })
    .replace(/^subject=/, "")
    .trim()
    .split(",")
    .reverse()
    .join(", ");

describe("PE/COFF headers", () => {
  const images = [
    ["the UKI objcopy made", join(dir, "uki.efi")],
    ["the UKI sbsign signed", join(dir, "uki-signed.efi")],
    ["systemd-boot signed by sbsign", join(dir, "sd-boot-signed.efi")],
  ] as const;
  for (const [what, path] of images) {
    it(`reads the section table of ${what} as objdump -h does`, async () => {
      const header = await readPeHeader(new BufferSource(path, readFileSync(path)));
      expect(header.format).toBe("PE32+");
      const ours = header.sections.map((s) => ({
        name: s.name,
        size: Math.min(s.virtualSize, s.sizeOfRawData),
        vma: s.virtualAddress,
        offset: s.pointerToRawData,
      }));
      const base = objdumpSections(path);
      // objdump adds ImageBase to each RVA.
      const imageBase = (base[0]?.vma ?? 0) - (ours[0]?.vma ?? 0);
      expect(ours).toEqual(base.map((s) => ({ ...s, vma: s.vma - imageBase })));
    });
  }
});

describe("UKI sections", () => {
  it("gives back exactly what objcopy was given for each section", async () => {
    const uki = await readUki(source("uki.efi"));
    // Buffer.equals: a deep comparison of 800 KiB takes seconds.
    expect(Buffer.from(await uki.linux.read(0, uki.linux.size, ".linux")).equals(read("vmlinuz"))).toBe(true);
    const initrd = uki.initrd as BufferSource;
    expect(Buffer.from(await initrd.read(0, initrd.size, ".initrd")).equals(read("uki.initrd"))).toBe(true);
    for (const name of ["cmdline", "uname", "osrel"])
      expect(uki.text.get(`.${name}`)).toBe(read(`uki.${name}`).toString());
    // The stub's own .sbat is text too.
    expect(uki.text.get(".sbat")).toMatch(/^sbat,1,/);
  });

  it("reads the kernel in .linux as the kernel reader reads the bzImage file", async () => {
    const uki = await readUki(source("uki.efi"));
    const fromUki = await readKernelImage(uki.linux);
    const fromFile = await readKernelImage(source("vmlinuz"));
    expect(fromUki.release).toBe(fromFile.release);
    expect(fromUki.release).toBe(read("uki.uname").toString());
    expect(fromUki.certificates.map((c) => c.serial)).toEqual(fromFile.certificates.map((c) => c.serial));
  });

  it("refuses a PE image without .linux", async () => {
    await expect(readUki(source("sd-boot-signed.efi"))).rejects.toThrow(
      "sd-boot-signed.efi: offset 0 (UKI sections): expected a .linux section, found none",
    );
  });
});

describe("Authenticode", () => {
  it("finds no signature in the unsigned UKI", async () => {
    const src = source("uki.efi");
    expect(await readAuthenticode(src, await readPeHeader(src))).toEqual([]);
  });

  for (const file of ["uki-signed.efi", "sd-boot-signed.efi"]) {
    it(`verifies ${file} as sbverify did, signed by the fixture's certificate`, async () => {
      const src = source(file);
      const header = await readPeHeader(src);
      const [sig, ...more] = await readAuthenticode(src, header);
      expect(more).toEqual([]);
      expect(sig?.hashAlgo).toBe("sha256");
      expect(sig?.signer.subject).toBe(subjectOf(join(dir, "db.der")));
      expect(Buffer.from(sig?.signer.der ?? [])).toEqual(read("db.der"));
      expect(await verifyAuthenticode(src, header, sig as NonNullable<typeof sig>)).toEqual({
        digestMatches: true,
        signatureValid: true,
      });
    });
  }

  it("finds the image digest wrong where sbverify refused the image (one byte of .linux changed)", async () => {
    const src = source("uki-tampered.efi");
    const header = await readPeHeader(src);
    const [sig] = await readAuthenticode(src, header);
    expect(await verifyAuthenticode(src, header, sig as NonNullable<typeof sig>)).toEqual({
      digestMatches: false,
      signatureValid: true,
    });
  });

  it("finds the signature invalid when a signed attribute changed", async () => {
    const bytes = read("uki-signed.efi");
    const header = await readPeHeader(source("uki-signed.efi", bytes));
    const [sig] = await readAuthenticode(source("uki-signed.efi", bytes), header);
    const s = sig as NonNullable<typeof sig>;
    // The messageDigest attribute's last byte, found by its value inside the certificate table.
    const table = bytes.subarray(
      header.certificates?.offset,
      (header.certificates?.offset ?? 0) + (header.certificates?.size ?? 0),
    );
    const at =
      (header.certificates?.offset ?? 0) + table.indexOf(Buffer.from(s.messageDigest)) + s.messageDigest.length - 1;
    bytes[at] = (bytes[at] as number) ^ 1;
    const src = source("uki-signed.efi", bytes);
    const [changed] = await readAuthenticode(src, header);
    expect(await verifyAuthenticode(src, header, changed as NonNullable<typeof changed>)).toEqual({
      digestMatches: true,
      signatureValid: false,
    });
  });
});

describe("bad PE input", () => {
  const mutated = (edit: (b: Buffer) => void) => {
    const b = read("uki-signed.efi");
    edit(b);
    return source("uki-signed.efi", b);
  };
  const peAt = read("uki.efi").readUInt32LE(0x3c);
  const cases: [string, (b: Buffer) => void, string][] = [
    ["no MZ", (b) => b.writeUInt16LE(0x1234, 0), "offset 0 (DOS header): expected MZ, found 0x1234"],
    [
      "no PE signature",
      (b) => b.writeUInt32LE(0, peAt),
      `offset ${peAt} (PE signature): expected PE\\0\\0, found 0x00000000`,
    ],
    [
      "e_lfanew past the end",
      (b) => b.writeUInt32LE(0x7fffffff, 0x3c),
      "offset 2147483647 (PE signature and COFF header): expected 24 bytes",
    ],
    [
      "too many sections",
      (b) => b.writeUInt16LE(1000, peAt + 6),
      `offset ${peAt + 6} (COFF NumberOfSections): expected at most 96, found 1000`,
    ],
    [
      "an unknown optional header",
      (b) => b.writeUInt16LE(0x107, peAt + 24),
      `offset ${peAt + 24} (optional header magic): expected 0x10b (PE32) or 0x20b (PE32+), found 0x0107`,
    ],
  ];
  for (const [what, edit, message] of cases) {
    it(`refuses ${what} at its offset`, async () => {
      const err = await readPeHeader(mutated(edit)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FormatError);
      expect((err as FormatError).message).toContain(`uki-signed.efi: ${message}`);
    });
  }

  it("refuses a section whose raw data runs past the end, naming the field", async () => {
    const b = read("uki-signed.efi");
    const header = await readPeHeader(source("uki-signed.efi", b));
    const optSize = b.readUInt16LE(peAt + 20);
    const linux = header.sections.findIndex((s) => s.name === ".linux");
    const field = peAt + 24 + optSize + linux * 40 + 16;
    b.writeUInt32LE(b.length, field);
    await expect(readPeHeader(source("uki-signed.efi", b))).rejects.toThrow(
      `uki-signed.efi: offset ${field} (section .linux raw data): expected within ${b.length} bytes`,
    );
  });

  it("refuses a certificate entry whose length runs past the table", async () => {
    const b = read("uki-signed.efi");
    const header = await readPeHeader(source("uki-signed.efi", b));
    const at = header.certificates?.offset as number;
    b.writeUInt32LE(0xffff, at);
    await expect(readAuthenticode(source("uki-signed.efi", b), header)).rejects.toThrow(
      `uki-signed.efi: offset ${at} (WIN_CERTIFICATE dwLength): expected 8 to ${header.certificates?.size}, found 65535`,
    );
  });
});
