import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readKernelImage } from "../../../src/formats/kernel/image.js";
import { moduleSource } from "../../../src/formats/kmod-sig/module-source.js";
import {
  MARKER,
  type ModinfoSignature,
  type ModuleSignature,
  modinfoSignature,
  namesCertificate,
  readModuleSignature,
  verifyModuleSignature,
} from "../../../src/formats/kmod-sig/signature.js";
import { type Certificate, parseCertificate } from "../../../src/formats/x509/certificate.js";
import { FormatError } from "../../../src/io/errors.js";
import { BufferSource, FileSource } from "../../../src/io/source.js";

const out = join(import.meta.dirname, "../../fixtures/out");
const debian = join(out, "debian-kernel");
const signed = join(out, "signed-modules");
const release = readFileSync(join(debian, "release"), "utf8").trim();

const FIELDS = ["sig_id", "signer", "sig_key", "sig_hashalgo", "signature"] as const;

/** What kmod's modinfo prints for one field (`signature` unwrapped into one colon-hex string). */
function modinfo(field: (typeof FIELDS)[number], file: string): string {
  const v = execFileSync("/sbin/modinfo", ["-F", field, file], { encoding: "utf8" });
  return field === "signature" ? v.replace(/\s+/g, "") : v.replace(/\n$/, "");
}

/** modinfo's signature lines for a module, or `undefined` when it prints none of them. */
function modinfoLines(file: string): ModinfoSignature | undefined {
  const lines = Object.fromEntries(FIELDS.map((f) => [f, modinfo(f, file)])) as Record<string, string>;
  return Object.values(lines).every((v) => v === "") ? undefined : (lines as unknown as ModinfoSignature);
}

async function sigOf(file: string): Promise<ModuleSignature | undefined> {
  const f = await FileSource.open(file);
  try {
    return await readModuleSignature(await moduleSource(f));
  } finally {
    await f.close();
  }
}

async function verifies(file: string, sig: ModuleSignature, cert: Certificate): Promise<boolean> {
  const f = await FileSource.open(file);
  try {
    return await verifyModuleSignature(await moduleSource(f), sig, cert);
  } finally {
    await f.close();
  }
}

function cert(name: string): Certificate {
  return parseCertificate(readFileSync(join(signed, name)), name);
}

/** 50 modules spread evenly over Debian's whole tree. */
function sample(): string[] {
  const all: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith(".ko")) all.push(join(d, e.name));
    }
  };
  walk(join(debian, "modules", release, "kernel"));
  all.sort();
  return Array.from({ length: 50 }, (_, i) => all[Math.floor((i * all.length) / 50)] as string);
}

describe("Debian's real signed modules against modinfo and the certificate in Debian's vmlinuz", () => {
  let certs: readonly Certificate[];
  beforeAll(async () => {
    const k = await FileSource.open(join(debian, "vmlinuz"));
    certs = (await readKernelImage(k)).certificates;
    await k.close();
  });

  it.each(sample().map((f) => [relative(debian, f), f]))("%s", async (_name, file) => {
    const sig = (await sigOf(file)) as ModuleSignature;
    expect(modinfoSignature(sig)).toEqual(modinfoLines(file));
    expect(modinfo("sig_id", file)).toBe("PKCS#7");
    const signer = certs.filter((c) => namesCertificate(sig, c));
    expect(signer).toHaveLength(1);
    expect(await verifies(file, sig, signer[0] as Certificate)).toBe(true);
  });
});

describe("modules signed by sign-file", () => {
  const kernel = () => cert("kernel.der");

  it.each(["rsa.ko", "ec.ko", "other.ko", "nocn.ko", "rsa.ko.xz", "rsa.ko.zst"])(
    "%s: the five fields modinfo prints",
    async (name) => {
      const file = join(signed, name);
      const shown = modinfoSignature((await sigOf(file)) as ModuleSignature);
      expect(shown).toEqual(modinfoLines(file));
      expect(shown?.sig_id).toBe("PKCS#7");
    },
  );

  it("a certificate without commonName: modinfo's signer is the issuer's last value, as kmod's lookup ends there", async () => {
    const file = join(signed, "nocn.ko");
    expect(modinfo("signer", file)).toBe("no common name");
    const sig = (await sigOf(file)) as ModuleSignature;
    expect(modinfoSignature(sig)?.signer).toBe("no common name");
    expect(namesCertificate(sig, cert("nocn.der"))).toBe(true);
    expect(await verifies(file, sig, cert("nocn.der"))).toBe(true);
  });

  // Debian's kmod reads .ko.xz and .ko.zst but was built without zlib: gzip itself unpacks the .ko.gz for it.
  describe("rsa.ko.gz", () => {
    const dir = mkdtempSync(join(tmpdir(), "kmod-sig-"));
    afterAll(() => rmSync(dir, { recursive: true }));

    it("reads as modinfo reads the module gzip unpacks, and verifies", async () => {
      const gz = join(signed, "rsa.ko.gz");
      const ko = join(dir, "rsa.ko");
      writeFileSync(ko, execFileSync("gzip", ["-dc", gz]));
      const sig = (await sigOf(gz)) as ModuleSignature;
      expect(modinfoSignature(sig)).toEqual(modinfoLines(ko));
      expect(modinfoSignature(sig)).toEqual(modinfoSignature((await sigOf(join(signed, "rsa.ko"))) as ModuleSignature));
      expect(await verifies(gz, sig, kernel())).toBe(true);
    });
  });

  it("a signer named by subject key identifier (-k): modinfo prints no signature lines at all, nor do we", async () => {
    const file = join(signed, "skid.ko");
    expect(modinfoLines(file)).toBeUndefined();
    expect(execFileSync("/sbin/modinfo", [file], { encoding: "utf8" })).not.toMatch(/^(sig_|signer|signature)/m);
    const sig = (await sigOf(file)) as ModuleSignature;
    expect(modinfoSignature(sig)).toBeUndefined();
    // Kept for verification: the digest and the key id the kernel matches the certificate by.
    expect(sig.hashAlgo).toBe("sha512");
    expect(sig.signerId).toEqual({ kind: "skid", skid: kernel().skid });
    expect(namesCertificate(sig, kernel())).toBe(true);
    expect(await verifies(file, sig, kernel())).toBe(true);
  });

  it("Talos' scheme (RSA-4096, SHA-512) verifies against the certificate built into the tiny kernel", async () => {
    const k = await FileSource.open(join(signed, "vmlinuz"));
    const image = await readKernelImage(k);
    await k.close();
    expect(image.certificates.map((c) => Buffer.from(c.der).toString("hex"))).toEqual([
      readFileSync(join(signed, "kernel.der")).toString("hex"),
    ]);
    const sig = (await sigOf(join(signed, "rsa.ko"))) as ModuleSignature;
    const c = image.certificates[0] as Certificate;
    expect(c.key).toBe("RSA 4096");
    expect(namesCertificate(sig, c)).toBe(true);
    expect(await verifies(join(signed, "rsa.ko"), sig, c)).toBe(true);
  });

  it("an EC key verifies against its own certificate only", async () => {
    const file = join(signed, "ec.ko");
    const sig = (await sigOf(file)) as ModuleSignature;
    expect(namesCertificate(sig, cert("ec.der"))).toBe(true);
    expect(namesCertificate(sig, kernel())).toBe(false);
    expect(await verifies(file, sig, cert("ec.der"))).toBe(true);
    expect(await verifies(file, sig, kernel())).toBe(false);
  });

  it("another build's key is not the kernel's, and does not verify with it", async () => {
    const file = join(signed, "other.ko");
    const sig = (await sigOf(file)) as ModuleSignature;
    expect(namesCertificate(sig, kernel())).toBe(false);
    expect(await verifies(file, sig, kernel())).toBe(false);
    expect(await verifies(file, sig, cert("other.der"))).toBe(true);
  });

  it("a module changed after signing fails verification", async () => {
    const file = join(signed, "tampered.ko");
    const sig = (await sigOf(file)) as ModuleSignature;
    expect(namesCertificate(sig, kernel())).toBe(true);
    expect(await verifies(file, sig, kernel())).toBe(false);
  });

  it("compressed modules carry the signature inside", async () => {
    for (const name of ["rsa.ko.xz", "rsa.ko.zst", "rsa.ko.gz"]) {
      const file = join(signed, name);
      expect(await verifies(file, (await sigOf(file)) as ModuleSignature, kernel())).toBe(true);
    }
  });

  it("an unsigned module is unsigned", async () => {
    expect(await sigOf(join(signed, "unsigned.ko"))).toBeUndefined();
    expect(modinfoLines(join(signed, "unsigned.ko"))).toBeUndefined();
  });
});

/** A sign-file-made module taken apart: the signed body, the PKCS#7 blob and where the trailer starts. */
function parts(name: string): { body: Buffer; blob: Buffer; at: number } {
  const b = readFileSync(join(signed, name));
  const at = b.length - 40;
  const sigLen = b.readUInt32BE(at + 8);
  return { body: b.subarray(0, at - sigLen), blob: Buffer.from(b.subarray(at - sigLen, at)), at };
}

/** The module with `blob` in place of its signature and a struct module_signature whose sig_len is `sigLen`. */
function assemble(body: Buffer, blob: Buffer, sigLen = blob.length): Buffer {
  const s = Buffer.alloc(12);
  s[2] = 2;
  s.writeUInt32BE(sigLen, 8);
  return Buffer.concat([body, blob, s, Buffer.from(MARKER, "latin1")]);
}

const read = (name: string, bytes: Buffer) => readModuleSignature(new BufferSource(name, bytes));

describe("signature algorithms, as the kernel's PKCS#7 parser takes them", () => {
  /** rsa.ko or ec.ko with the SignerInfo's signatureAlgorithm (exactly one in the blob) replaced, same length. */
  function relabel(name: string, from: string, to: string): Buffer {
    const { body, blob } = parts(name);
    const old = Buffer.from(from, "hex");
    const at = blob.indexOf(old);
    expect(at).toBeGreaterThan(0);
    expect(blob.lastIndexOf(old)).toBe(at);
    Buffer.from(to, "hex").copy(blob, at);
    return assemble(body, blob);
  }
  const RSA_ENCRYPTION = "300d06092a864886f70d0101010500";
  const ECDSA_SHA256 = "300a06082a8648ce3d040302";

  it("sign-file writes rsaEncryption for RSA keys and ecdsa-with-SHA256 for the P-256 key", async () => {
    expect((await sigOf(join(signed, "rsa.ko")))?.signatureAlgorithm).toBe("1.2.840.113549.1.1.1");
    expect((await sigOf(join(signed, "ec.ko")))?.signatureAlgorithm).toBe("1.2.840.10045.4.3.2");
  });

  it.each([
    ["sha512WithRSAEncryption", "300d06092a864886f70d01010d0500", "1.2.840.113549.1.1.13"],
    ["RSASSA-PSS", "300d06092a864886f70d01010a0500", "1.2.840.113549.1.1.10"],
    // Same length: the ECDSA OID is one byte shorter, a one-byte OCTET STRING stands in for NULL.
    ["ecdsa-with-SHA512 (the wrong key type)", "300d06082a8648ce3d040304040100", "1.2.840.10045.4.3.4"],
  ])(
    "rsa.ko's valid RSA signature labelled %s does not verify (ENOPKG or a key type mismatch in the kernel)",
    async (_label, to, oid) => {
      const bytes = relabel("rsa.ko", RSA_ENCRYPTION, to);
      const sig = (await read("relabelled.ko", bytes)) as ModuleSignature;
      expect(sig.signatureAlgorithm).toBe(oid);
      expect(
        Buffer.from(sig.signature).equals(
          Buffer.from(((await sigOf(join(signed, "rsa.ko"))) as ModuleSignature).signature),
        ),
      ).toBe(true);
      expect(await verifyModuleSignature(new BufferSource("relabelled.ko", bytes), sig, cert("kernel.der"))).toBe(
        false,
      );
    },
  );

  it("ecdsa-with-SHA512 over a SHA-256 digest still verifies: the kernel hashes with digestAlgorithm only", async () => {
    const bytes = relabel("ec.ko", ECDSA_SHA256, "300a06082a8648ce3d040304");
    const sig = (await read("relabelled.ko", bytes)) as ModuleSignature;
    expect(sig.signatureAlgorithm).toBe("1.2.840.10045.4.3.4");
    expect(sig.hashAlgo).toBe("sha256");
    expect(await verifyModuleSignature(new BufferSource("relabelled.ko", bytes), sig, cert("ec.der"))).toBe(true);
  });
});

describe("bad signatures", () => {
  it("a sig_len longer than what precedes the trailer", async () => {
    const { body, blob, at } = parts("rsa.ko");
    await expect(read("lying.ko", assemble(body, blob, at + 1))).rejects.toThrow(
      `lying.ko: offset ${at + 8} (module_signature sig_len): expected 1 to ${at}, found ${at + 1}`,
    );
  });

  it("a sig_len of 0", async () => {
    const { body, blob, at } = parts("rsa.ko");
    await expect(read("zero.ko", assemble(body, blob, 0))).rejects.toThrow(
      `zero.ko: offset ${at + 8} (module_signature sig_len): expected 1 to ${at}, found 0`,
    );
  });

  it("a sig_len 4 short of the blob: reading starts at the contentType OID, which is followed by trailing bytes", async () => {
    const { body, blob } = parts("rsa.ko");
    const blobAt = body.length;
    expect([blob[0], blob[1], blob[4], blob[5]]).toEqual([0x30, 0x82, 0x06, 0x09]);
    await expect(read("short.ko", assemble(body, blob, blob.length - 4))).rejects.toThrow(
      `short.ko: offset ${blobAt + 4 + 11} (DER): expected the end of the element, found trailing bytes`,
    );
  });

  it.each([
    [0, "algo"],
    [1, "hash"],
    [3, "signer_len"],
    [4, "key_id_len"],
    [5, "__pad[0]"],
    [6, "__pad[1]"],
    [7, "__pad[2]"],
  ])("a non-zero byte %i (%s) in struct module_signature", async (i, field) => {
    const b = Buffer.from(readFileSync(join(signed, "rsa.ko")));
    const at = b.length - 40;
    b[at + i] = 7;
    await expect(read("field.ko", b)).rejects.toThrow(
      `field.ko: offset ${at + i} (module_signature ${field}): expected 0, found 7`,
    );
  });

  it("an id_type other than PKCS#7", async () => {
    const b = Buffer.from(readFileSync(join(signed, "rsa.ko")));
    const at = b.length - 40;
    b[at + 2] = 1;
    await expect(read("x509.ko", b)).rejects.toThrow(
      `x509.ko: offset ${at + 2} (module_signature id_type): expected 2 (PKCS#7), found 1 (X509)`,
    );
  });

  it("the blob cut short, trailer kept, sig_len saying what is left: every cut names the offset that fails", async () => {
    const { body, blob } = parts("rsa.ko");
    const blobAt = body.length;
    // The real ContentInfo header: SEQUENCE, two length bytes.
    expect([blob[0], blob[1]]).toEqual([0x30, 0x82]);
    const declared = blob.readUInt16BE(2);
    for (let left = 1; left < blob.length; left++) {
      const expected =
        left === 1
          ? `offset ${blobAt} (DER header): expected a tag and a length, found end of data`
          : left < 4
            ? `offset ${blobAt + 2} (DER length): expected 2 bytes, found end of data`
            : `offset ${blobAt + 1} (DER length): expected at most ${left - 4} bytes, found ${declared}`;
      const err = await read("cut.ko", assemble(body, blob.subarray(0, left))).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(FormatError);
      expect((err as FormatError).message).toBe(`cut.ko: ${expected}`);
    }
  });

  it("the blob cut short, trailer and sig_len kept: what sig_len claims starts in the module and fails inside it", async () => {
    const { body, blob } = parts("rsa.ko");
    for (const cut of [1, 2, 64, 300, blob.length - 1]) {
      const bytes = assemble(body, blob.subarray(0, blob.length - cut), blob.length);
      const claimedAt = body.length - cut;
      const err = (await read("cut.ko", bytes).then(
        () => undefined,
        (e: unknown) => e,
      )) as FormatError;
      expect(err).toBeInstanceOf(FormatError);
      expect(err.offset).toBeGreaterThanOrEqual(claimedAt);
      expect(err.offset).toBeLessThan(claimedAt + blob.length);
    }
  });
});

describe("strict DER in a real sign-file signature", () => {
  /** rsa.ko with its blob's first `n` bytes replaced by `head`; sig_len follows the new length. */
  function withHead(n: number, head: number[]): { bytes: Buffer; blobAt: number; blobLength: number } {
    const { body, blob } = parts("rsa.ko");
    expect([blob[0], blob[1]]).toEqual([0x30, 0x82]);
    const edited = Buffer.concat([Buffer.from(head), blob.subarray(n)]);
    return { bytes: assemble(body, edited), blobAt: body.length, blobLength: edited.length };
  }
  const declared = () => parts("rsa.ko").blob.subarray(2, 4);

  it("an indefinite length", async () => {
    const { bytes, blobAt } = withHead(2, [0x30, 0x80]);
    await expect(read("indef.ko", bytes)).rejects.toThrow(
      `indef.ko: offset ${blobAt + 1} (DER length): expected a definite length, found indefinite`,
    );
  });

  it("a length past the end of the blob", async () => {
    const { bytes, blobAt, blobLength } = withHead(4, [0x30, 0x84, 0xff, 0xff, 0xff, 0xf0]);
    await expect(read("big.ko", bytes)).rejects.toThrow(
      `big.ko: offset ${blobAt + 1} (DER length): expected at most ${blobLength - 6} bytes, found ${0xfffffff0}`,
    );
  });

  it("more than 4 length bytes", async () => {
    const { bytes, blobAt } = withHead(4, [0x30, 0x85, 0, 0, 0, ...declared()]);
    await expect(read("long.ko", bytes)).rejects.toThrow(
      `long.ko: offset ${blobAt + 1} (DER length): expected at most 4 length bytes, found 5`,
    );
  });

  it("a length with a leading zero byte", async () => {
    const { bytes, blobAt } = withHead(4, [0x30, 0x83, 0, ...declared()]);
    await expect(read("zero.ko", bytes)).rejects.toThrow(
      `zero.ko: offset ${blobAt + 2} (DER length): expected no leading zero length byte, found 3 length bytes`,
    );
  });

  it("the long form for a length under 128", async () => {
    // The contentType OID's length 9 as 81 09; the ContentInfo's own length grows by the byte added.
    const len = declared().readUInt16BE(0) + 1;
    const { bytes, blobAt } = withHead(6, [0x30, 0x82, len >> 8, len & 0xff, 0x06, 0x81, 0x09]);
    await expect(read("form.ko", bytes)).rejects.toThrow(
      `form.ko: offset ${blobAt + 5} (DER length): expected the short form below 128, found long form 9`,
    );
  });
});
