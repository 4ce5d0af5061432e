import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readKernelImage } from "../../../src/formats/kernel/image.js";
import { type Certificate, parseCertificate } from "../../../src/formats/x509/certificate.js";
import { FileSource } from "../../../src/io/source.js";

const out = join(import.meta.dirname, "../../fixtures/out");
const signed = join(out, "signed-modules");

/** Names as node prints them, one line: RFC 2253 escapes (`\,`), short names, `, ` between attributes. */
const NAMEOPT = "esc_2253,esc_ctrl,utf8,sep_comma_plus_space,sname";

/** The fields of Certificate that openssl prints, in our spelling, read from `openssl x509`'s output. */
function openssl(der: Uint8Array): Omit<Certificate, "der" | "issuerDer" | "publicKey" | "commonName"> {
  const run = (...args: string[]) =>
    execFileSync("openssl", ["x509", "-inform", "DER", "-noout", ...args], { input: der, encoding: "utf8" });
  const fields = run("-nameopt", NAMEOPT, "-subject", "-issuer", "-serial", "-dates", "-ext", "subjectKeyIdentifier");
  const field = (name: string) => (new RegExp(`^${name}=(.*)$`, "m").exec(fields) as RegExpExecArray)[1] as string;
  const skid = /X509v3 Subject Key Identifier: *\n\s+(\S+)/.exec(fields)?.[1];
  const text = run("-text");
  const algorithm = /Public Key Algorithm: (\S+)/.exec(text)?.[1];
  const key =
    algorithm === "rsaEncryption"
      ? `RSA ${/Public-Key: \((\d+) bit\)/.exec(text)?.[1]}`
      : `EC ${/ASN1 OID: (\S+)/.exec(text)?.[1]}`;
  return {
    subject: field("subject"),
    issuer: field("issuer"),
    // openssl prints the serial's magnitude as bare hex; we colon-separate it as modinfo's sig_key.
    serial: field("serial").match(/../g)?.join(":") ?? "",
    ...(skid !== undefined ? { skid } : {}),
    key,
    notBefore: field("notBefore"),
    notAfter: field("notAfter"),
  };
}

function ours(c: Certificate) {
  const { der: _der, issuerDer: _issuer, publicKey: _key, commonName: _cn, ...rest } = c;
  return rest;
}

describe("parseCertificate against openssl x509", () => {
  it.each(["kernel.der", "ec.der", "other.der", "nocn.der"])("sign-file fixture certificate %s", (name) => {
    const der = readFileSync(join(signed, name));
    expect(ours(parseCertificate(der, name))).toEqual(openssl(der));
  });

  it("escapes a comma inside a value as openssl's RFC 2253 output does", () => {
    const c = parseCertificate(readFileSync(join(signed, "other.der")), "other.der");
    expect(c.subject).toBe("O=talos-ext fixtures\\, other, CN=Build time throw-away kernel key");
  });

  it("key types: RSA-4096 (the tiny kernel's), P-256, RSA-2048", () => {
    expect(
      ["kernel.der", "ec.der", "other.der"].map((n) => parseCertificate(readFileSync(join(signed, n)), n).key),
    ).toEqual(["RSA 4096", "EC prime256v1", "RSA 2048"]);
  });

  it("the certificates built into Debian's vmlinuz", async () => {
    const k = await FileSource.open(join(out, "debian-kernel", "vmlinuz"));
    const certs = await readKernelImage(k).finally(() => k.close());
    expect(certs.certificates.length).toBeGreaterThan(0);
    for (const c of certs.certificates) expect(ours(c)).toEqual(openssl(c.der));
  });
});
