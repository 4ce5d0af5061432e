import { type KeyObject, X509Certificate } from "node:crypto";
import { FormatError } from "../../io/errors.js";
import { child, colonHex, commonName, type Der, oid, parseDer, TAG, unsignedInteger } from "../der/parse.js";

export interface Certificate {
  readonly der: Uint8Array;
  /**
   * `O=Sidero Labs\, Inc., CN=Build time throw-away kernel key`: RFC 2253 escapes, as
   * `openssl x509 -nameopt esc_2253,esc_ctrl,utf8,sep_comma_plus_space,sname` prints them.
   */
  readonly subject: string;
  readonly issuer: string;
  readonly commonName?: string;
  /** Upper-case colon hex of the serial's magnitude, as modinfo prints `sig_key`. */
  readonly serial: string;
  /** The issuer Name's DER, for exact matching with a signature's issuer. */
  readonly issuerDer: Uint8Array;
  readonly skid?: string;
  /** `RSA 4096`, `EC prime256v1`. */
  readonly key: string;
  readonly publicKey: KeyObject;
  readonly notBefore: string;
  readonly notAfter: string;
}

const SKID = "2.5.29.14";

function findSkid(tbs: Der, file: string): string | undefined {
  const exts = tbs.children.find((c) => c.tag === 0xa3);
  for (const ext of exts?.children[0]?.children ?? []) {
    const id = ext.children[0];
    if (id?.tag === TAG.OID && oid(id.content) === SKID) {
      const value = ext.children[ext.children.length - 1] as Der;
      return colonHex(parseDer(value.content, file, value.offset + value.header).content);
    }
  }
  return undefined;
}

const dn = (text: string): string => text.split("\n").join(", ");

/** Parses one DER certificate; anything node's X.509 parser or the strict DER walk refuses is a FormatError. */
export function parseCertificate(der: Uint8Array, file: string, offset = 0): Certificate {
  const root = parseDer(der, file, offset);
  const tbs = child(root, 0, file, "certificate", TAG.SEQUENCE);
  const v3 = tbs.children[0]?.tag === 0xa0 ? 1 : 0;
  const serial = child(tbs, v3, file, "tbsCertificate serial", TAG.INTEGER);
  const issuer = child(tbs, v3 + 2, file, "tbsCertificate issuer", TAG.SEQUENCE);
  let x: { subject: string; issuer: string; validFrom: string; validTo: string; cert: X509Certificate };
  try {
    // Node decodes the names and dates lazily: a getter can throw as well as the constructor.
    const cert = new X509Certificate(der);
    x = { subject: cert.subject, issuer: cert.issuer, validFrom: cert.validFrom, validTo: cert.validTo, cert };
  } catch (err) {
    throw new FormatError(file, offset, "X.509 certificate", "a certificate", (err as Error).message);
  }
  let k: KeyObject;
  try {
    k = x.cert.publicKey;
  } catch (err) {
    // A certificate that parses but whose key does not (a damaged modulus or curve point).
    const spki = child(tbs, v3 + 5, file, "tbsCertificate subjectPublicKeyInfo", TAG.SEQUENCE);
    throw new FormatError(file, spki.offset, "subjectPublicKeyInfo", "a public key", (err as Error).message);
  }
  const d = k.asymmetricKeyDetails ?? {};
  const key =
    k.asymmetricKeyType === "rsa"
      ? `RSA ${d.modulusLength}`
      : `${(k.asymmetricKeyType ?? "").toUpperCase()} ${d.namedCurve ?? ""}`.trim();
  const cn = commonName(child(tbs, v3 + 4, file, "tbsCertificate subject", TAG.SEQUENCE));
  const skid = findSkid(tbs, file);
  return {
    der,
    subject: dn(x.subject),
    issuer: dn(x.issuer),
    ...(cn !== undefined ? { commonName: cn } : {}),
    serial: colonHex(unsignedInteger(serial.content)),
    issuerDer: issuer.raw,
    ...(skid !== undefined ? { skid } : {}),
    key,
    publicKey: k,
    notBefore: x.validFrom,
    notAfter: x.validTo,
  };
}
