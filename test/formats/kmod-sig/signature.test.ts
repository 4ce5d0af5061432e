import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { FormatError } from "../../../src/errors.js";
import { readKernelImage } from "../../../src/formats/kernel/index.js";
import {
  type ModuleSignature,
  namesCertificate,
  readModuleSignature,
  signatureHex,
  verifyModuleSignature,
} from "../../../src/formats/kmod-sig/index.js";
import { moduleSource } from "../../../src/formats/kmod-sig/module-source.js";
import { type Certificate, parseCertificate } from "../../../src/formats/x509/index.js";
import { BufferSource, FileSource } from "../../../src/io/source.js";

const out = join(import.meta.dirname, "../../fixtures/out");
const debian = join(out, "debian-kernel");
const signed = join(out, "signed-modules");
const release = readFileSync(join(debian, "release"), "utf8").trim();

/** What kmod's modinfo prints for one field (its `signature` joined into one colon-hex string). */
function modinfo(field: string, file: string): string {
  return execFileSync("/sbin/modinfo", ["-F", field, file], { encoding: "utf8" })
    .replace(/[\s\n\t]+/g, "")
    .trim();
}

async function sigOf(file: string): Promise<ModuleSignature | undefined> {
  const f = await FileSource.open(file);
  try {
    return await readModuleSignature(await moduleSource(f));
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
    const src = await FileSource.open(file);
    const sig = (await readModuleSignature(src)) as ModuleSignature;
    expect(sig.sigId).toBe(modinfo("sig_id", file));
    expect(sig.signer).toBe(execFileSync("/sbin/modinfo", ["-F", "signer", file], { encoding: "utf8" }).trim());
    expect(sig.sigKey).toBe(modinfo("sig_key", file));
    expect(sig.hashAlgo).toBe(modinfo("sig_hashalgo", file));
    expect(signatureHex(sig)).toBe(modinfo("signature", file));
    const signer = certs.filter((c) => namesCertificate(sig, c));
    expect(signer).toHaveLength(1);
    expect(await verifyModuleSignature(src, sig, signer[0] as Certificate)).toBe(true);
    await src.close();
  });
});

describe("modules signed by sign-file", () => {
  const kernel = () => cert("kernel.der");

  // Debian's kmod reads .ko.xz and .ko.zst but was built without zlib: .ko.gz is checked by verification below.
  it.each(["rsa.ko", "ec.ko", "other.ko", "rsa.ko.xz", "rsa.ko.zst"])("%s: modinfo's fields", async (name) => {
    const file = join(signed, name);
    const sig = (await sigOf(file)) as ModuleSignature;
    expect(sig.signer).toBe(execFileSync("/sbin/modinfo", ["-F", "signer", file], { encoding: "utf8" }).trim());
    expect(sig.sigKey).toBe(modinfo("sig_key", file));
    expect(sig.hashAlgo).toBe(modinfo("sig_hashalgo", file));
  });

  it("Talos' scheme (RSA-4096, SHA-512) verifies against the certificate built into the tiny kernel", async () => {
    const k = await FileSource.open(join(signed, "vmlinuz"));
    const image = await readKernelImage(k);
    await k.close();
    expect(image.certificates.map((c) => Buffer.from(c.der).toString("hex"))).toEqual([
      readFileSync(join(signed, "kernel.der")).toString("hex"),
    ]);
    const src = await FileSource.open(join(signed, "rsa.ko"));
    const sig = (await readModuleSignature(src)) as ModuleSignature;
    const c = image.certificates[0] as Certificate;
    expect(c.key).toBe("RSA 4096");
    expect(namesCertificate(sig, c)).toBe(true);
    expect(await verifyModuleSignature(src, sig, c)).toBe(true);
    await src.close();
  });

  it("a signer named by subject key identifier (-k): no signer or sig_key, as modinfo; matched by SKID", async () => {
    const file = join(signed, "skid.ko");
    expect(modinfo("signer", file)).toBe("");
    const sig = (await sigOf(file)) as ModuleSignature;
    expect(sig.signer).toBeUndefined();
    expect(sig.signerId).toEqual({ kind: "skid", skid: kernel().skid });
    expect(namesCertificate(sig, kernel())).toBe(true);
    const src = await FileSource.open(file);
    expect(await verifyModuleSignature(src, sig, kernel())).toBe(true);
    await src.close();
  });

  it("an EC key verifies against its own certificate only", async () => {
    const src = await FileSource.open(join(signed, "ec.ko"));
    const sig = (await readModuleSignature(src)) as ModuleSignature;
    expect(namesCertificate(sig, cert("ec.der"))).toBe(true);
    expect(namesCertificate(sig, kernel())).toBe(false);
    expect(await verifyModuleSignature(src, sig, cert("ec.der"))).toBe(true);
    await src.close();
  });

  it("another build's key is not the kernel's, and does not verify with it", async () => {
    const src = await FileSource.open(join(signed, "other.ko"));
    const sig = (await readModuleSignature(src)) as ModuleSignature;
    expect(namesCertificate(sig, kernel())).toBe(false);
    expect(await verifyModuleSignature(src, sig, kernel())).toBe(false);
    expect(await verifyModuleSignature(src, sig, cert("other.der"))).toBe(true);
    await src.close();
  });

  it("a module changed after signing fails verification", async () => {
    const src = await FileSource.open(join(signed, "tampered.ko"));
    const sig = (await readModuleSignature(src)) as ModuleSignature;
    expect(namesCertificate(sig, kernel())).toBe(true);
    expect(await verifyModuleSignature(src, sig, kernel())).toBe(false);
    await src.close();
  });

  it("compressed modules carry the signature inside", async () => {
    for (const name of ["rsa.ko.xz", "rsa.ko.zst", "rsa.ko.gz"]) {
      const file = await FileSource.open(join(signed, name));
      const src = await moduleSource(file);
      const sig = (await readModuleSignature(src)) as ModuleSignature;
      expect(await verifyModuleSignature(src, sig, kernel())).toBe(true);
      await file.close();
    }
  });

  it("an unsigned module is unsigned", async () => {
    expect(await sigOf(join(signed, "unsigned.ko"))).toBeUndefined();
    expect(modinfo("sig_id", join(signed, "unsigned.ko"))).toBe("");
  });
});

describe("bad signatures", () => {
  const rsa = () => Buffer.from(readFileSync(join(signed, "rsa.ko")));
  const trailer = (b: Buffer) => b.length - 40;

  it("a sig_len longer than the file", async () => {
    const b = rsa();
    b.writeUInt32BE(b.length * 2, trailer(b) + 8);
    await expect(readModuleSignature(new BufferSource("lying.ko", b))).rejects.toThrow(
      /lying\.ko: offset \d+ \(module_signature sig_len\)/,
    );
  });

  it("an id_type other than PKCS#7", async () => {
    const b = rsa();
    b.writeUInt8(1, trailer(b) + 2);
    await expect(readModuleSignature(new BufferSource("x509.ko", b))).rejects.toThrow(
      /id_type\): expected 2 \(PKCS#7\), found 1 \(X509\)/,
    );
  });

  it("DER with an indefinite length", async () => {
    const b = rsa();
    const blobAt = trailer(b) - b.readUInt32BE(trailer(b) + 8);
    b.writeUInt8(0x80, blobAt + 1);
    await expect(readModuleSignature(new BufferSource("indef.ko", b))).rejects.toThrow(
      `indef.ko: offset ${blobAt + 1} (DER length): expected a definite length, found indefinite`,
    );
  });

  it("DER with an oversized length", async () => {
    const b = rsa();
    const blobAt = trailer(b) - b.readUInt32BE(trailer(b) + 8);
    b.writeUInt8(0x84, blobAt + 1);
    b.writeUInt32BE(0xfffffff0, blobAt + 2);
    await expect(readModuleSignature(new BufferSource("big.ko", b))).rejects.toThrow(FormatError);
  });

  it("truncated files end up unsigned or as a FormatError, never a crash", async () => {
    const b = rsa();
    for (let cut = 1; cut < 800; cut += 7) {
      const r = readModuleSignature(new BufferSource("cut.ko", b.subarray(0, b.length - cut)));
      await r.then(
        (sig) => expect(sig).toBeUndefined(),
        (err) => expect(err).toBeInstanceOf(FormatError),
      );
    }
  });
});
