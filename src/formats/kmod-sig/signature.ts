import { constants, createHash, createVerify, publicDecrypt } from "node:crypto";
import { FormatError } from "../../io/errors.js";
import { type ByteSource, SliceSource, streamSource } from "../../io/source.js";
import {
  bytesEqual,
  COMMON_NAME,
  child,
  colonHex,
  type Der,
  nameAttributes,
  oid,
  parseDer,
  TAG,
  unsignedInteger,
} from "../der/parse.js";
import type { Certificate } from "../x509/certificate.js";

export const MARKER = "~Module signature appended~\n";
const TRAILER = 40; // struct module_signature (12) + marker (28)

const HASHES: Record<string, string> = {
  "2.16.840.1.101.3.4.2.1": "sha256",
  "2.16.840.1.101.3.4.2.2": "sha384",
  "2.16.840.1.101.3.4.2.3": "sha512",
  "2.16.840.1.101.3.4.2.4": "sha224",
  "2.16.840.1.101.3.4.2.8": "sha3-256",
  "2.16.840.1.101.3.4.2.9": "sha3-384",
  "2.16.840.1.101.3.4.2.10": "sha3-512",
  "1.3.14.3.2.26": "sha1",
};

/**
 * The signature algorithms the kernel's PKCS#7 parser takes (pkcs7_sig_note_pkey_algo) and the key type each needs
 * (public_key_verify_signature rejects another). The hash is always digestAlgorithm's, whatever an ecdsa-with-SHA*
 * OID names. Anything else, sha*WithRSAEncryption and RSASSA-PSS included, is ENOPKG: the module does not load.
 */
const SIGNATURE_KEY_TYPES: Record<string, "rsa" | "ec"> = {
  "1.2.840.113549.1.1.1": "rsa", // rsaEncryption: PKCS#1 v1.5
  "1.2.840.10045.4.1": "ec", // ecdsa-with-SHA1
  "1.2.840.10045.4.3.1": "ec", // ecdsa-with-SHA224
  "1.2.840.10045.4.3.2": "ec", // ecdsa-with-SHA256
  "1.2.840.10045.4.3.3": "ec", // ecdsa-with-SHA384
  "1.2.840.10045.4.3.4": "ec", // ecdsa-with-SHA512
  "2.16.840.1.101.3.4.3.10": "ec", // ecdsa-with-SHA3-256
  "2.16.840.1.101.3.4.3.11": "ec", // ecdsa-with-SHA3-384
  "2.16.840.1.101.3.4.3.12": "ec", // ecdsa-with-SHA3-512
};

/** How the signer is named: issuer and serial (sign-file's default) or subject key identifier (`-k`). */
export type SignerId =
  | {
      readonly kind: "issuer-serial";
      readonly issuerDer: Uint8Array;
      /** Upper-case colon hex of the serial's magnitude (modinfo's `sig_key`). */
      readonly serial: string;
      /** The issuer's name as modinfo prints `signer` (see kmodSigner). */
      readonly signer: string;
    }
  | { readonly kind: "skid"; readonly skid: string };

export interface ModuleSignature {
  readonly signerId: SignerId;
  /** SignerInfo.digestAlgorithm in OpenSSL's words (`sha512`): the hash the kernel verifies with. */
  readonly hashAlgo: string;
  /** SignerInfo.signatureAlgorithm's OID: the key type and padding the kernel verifies with. */
  readonly signatureAlgorithm: string;
  /** The signature bytes (SignerInfo.signature). */
  readonly signature: Uint8Array;
  /** Bytes of module content that were signed (everything before the signature). */
  readonly signedLength: number;
}

/** What kmod's `modinfo` prints for a signed module, field by field. */
export interface ModinfoSignature {
  readonly sig_id: string;
  readonly signer: string;
  readonly sig_key: string;
  readonly sig_hashalgo: string;
  /** Colon hex as one string (modinfo wraps it at 20 bytes a line). */
  readonly signature: string;
}

/**
 * The signature lines `modinfo` prints for `sig`, or `undefined` where it prints none: kmod reads the blob with
 * OpenSSL's PKCS#7 API, which has no subject-key-identifier signer, so a `sign-file -k` module shows no sig_* lines.
 */
export function modinfoSignature(sig: ModuleSignature): ModinfoSignature | undefined {
  const id = sig.signerId;
  if (id.kind === "skid") return undefined;
  return {
    sig_id: "PKCS#7",
    signer: id.signer,
    sig_key: id.serial,
    sig_hashalgo: sig.hashAlgo,
    signature: colonHex(sig.signature),
  };
}

const ID_TYPES = ["PGP", "X509", "PKCS#7"];
/** struct module_signature's bytes the kernel requires to be zero (mod_check_sig), by offset. */
const ZERO_FIELDS: readonly [number, string][] = [
  [0, "algo"],
  [1, "hash"],
  [3, "signer_len"],
  [4, "key_id_len"],
  [5, "__pad[0]"],
  [6, "__pad[1]"],
  [7, "__pad[2]"],
];

/**
 * The appended signature of a module, read from its end; `undefined` when the module is unsigned. Lying
 * lengths, other id types and malformed DER are FormatErrors with the offset.
 */
export async function readModuleSignature(src: ByteSource): Promise<ModuleSignature | undefined> {
  if (src.size < MARKER.length) return undefined;
  // One read covers marker, struct and a typical blob (about 700 bytes for RSA-4096).
  const tailAt = Math.max(0, src.size - 4096);
  const tail = await src.read(tailAt, src.size - tailAt, "module tail");
  const marker = tail.subarray(tail.length - MARKER.length);
  if (new TextDecoder("latin1").decode(marker) !== MARKER) return undefined;
  const at = src.size - TRAILER;
  if (at < 0) throw new FormatError(src.name, 0, "module_signature", `${TRAILER} bytes before the end`);
  const s = tail.subarray(at - tailAt, at - tailAt + 12);
  const idType = s[2] as number;
  if (idType !== 2) {
    throw new FormatError(
      src.name,
      at + 2,
      "module_signature id_type",
      "2 (PKCS#7)",
      `${idType} (${ID_TYPES[idType] ?? "unknown"})`,
    );
  }
  for (const [i, field] of ZERO_FIELDS) {
    const v = s[i] as number;
    if (v !== 0) throw new FormatError(src.name, at + i, `module_signature ${field}`, "0", String(v));
  }
  const sigLen = new DataView(s.buffer, s.byteOffset, 12).getUint32(8, false);
  if (sigLen === 0 || sigLen > at) {
    throw new FormatError(src.name, at + 8, "module_signature sig_len", `1 to ${at}`, String(sigLen));
  }
  const blobAt = at - sigLen;
  const blob =
    blobAt >= tailAt ? tail.subarray(blobAt - tailAt, at - tailAt) : await src.read(blobAt, sigLen, "PKCS#7 signature");
  return { ...parseSignedData(blob, src.name, blobAt), signedLength: blobAt };
}

/**
 * modinfo's `signer`: the issuer's first commonName. kmod's search loop (x509_name_to_str) ends on the Name's
 * last attribute when there is none and prints that one; an empty Name prints nothing.
 */
function kmodSigner(issuer: Der): string {
  const attrs = nameAttributes(issuer);
  return (attrs.find((a) => a.type === COMMON_NAME) ?? attrs[attrs.length - 1])?.value ?? "";
}

function parseSignedData(blob: Uint8Array, file: string, base: number): Omit<ModuleSignature, "signedLength"> {
  const ci = parseDer(blob, file, base);
  const type = child(ci, 0, file, "ContentInfo", TAG.OID);
  if (oid(type.content) !== "1.2.840.113549.1.7.2") {
    throw new FormatError(
      file,
      type.offset,
      "ContentInfo contentType",
      "signedData (1.2.840.113549.1.7.2)",
      oid(type.content),
    );
  }
  const sd = child(child(ci, 1, file, "ContentInfo content", 0xa0), 0, file, "SignedData", TAG.SEQUENCE);
  const infos = sd.children[sd.children.length - 1];
  if (infos === undefined) throw new FormatError(file, sd.offset, "SignedData", "signerInfos, its last element");
  if (infos.tag !== TAG.SET || infos.children.length !== 1) {
    throw new FormatError(file, infos.offset, "SignedData signerInfos", "one SignerInfo");
  }
  const si = infos.children[0] as Der;
  const sid = child(si, 1, file, "SignerInfo sid");
  let signerId: SignerId;
  if (sid.tag === TAG.SEQUENCE) {
    const issuer = child(sid, 0, file, "IssuerAndSerialNumber issuer", TAG.SEQUENCE);
    const serial = colonHex(unsignedInteger(child(sid, 1, file, "IssuerAndSerialNumber serial", TAG.INTEGER).content));
    signerId = { kind: "issuer-serial", issuerDer: issuer.raw, serial, signer: kmodSigner(issuer) };
  } else if (sid.tag === 0x80) signerId = { kind: "skid", skid: colonHex(sid.content) };
  else throw new FormatError(file, sid.offset, "SignerInfo sid", "IssuerAndSerialNumber or [0] subjectKeyIdentifier");
  const digestOid = oid(
    child(child(si, 2, file, "SignerInfo digestAlgorithm", TAG.SEQUENCE), 0, file, "digest OID", TAG.OID).content,
  );
  const hashAlgo = HASHES[digestOid];
  if (hashAlgo === undefined)
    throw new FormatError(file, si.offset, "SignerInfo digestAlgorithm", "a known hash", digestOid);
  // No signed attributes: sign-file passes CMS_NOATTR, so element 3 is the signature algorithm.
  const alg = child(si, 3, file, "SignerInfo signatureAlgorithm");
  if (alg.tag !== TAG.SEQUENCE)
    throw new FormatError(file, alg.offset, "SignerInfo", "no signed attributes (sign-file CMS_NOATTR)");
  return {
    signerId,
    hashAlgo,
    signatureAlgorithm: oid(child(alg, 0, file, "signature algorithm OID", TAG.OID).content),
    signature: child(si, 4, file, "SignerInfo signature", TAG.OCTET_STRING).content,
  };
}

/** Whether `cert` is the one the signature names: issuer DER and serial, or subject key identifier. */
export function namesCertificate(sig: ModuleSignature, cert: Certificate): boolean {
  const id = sig.signerId;
  return id.kind === "skid"
    ? cert.skid === id.skid
    : id.serial === cert.serial && bytesEqual(id.issuerDer, cert.issuerDer);
}

/**
 * Whether the kernel would accept the signature: its algorithm is one the kernel takes, for `cert`'s key type, and
 * it verifies over the module's signed bytes, streamed from `src`, with `cert`'s public key.
 */
export async function verifyModuleSignature(
  src: ByteSource,
  sig: ModuleSignature,
  cert: Certificate,
): Promise<boolean> {
  // Node would check an RSA signature whatever the OID calls it; the kernel refuses a mislabelled one.
  if (SIGNATURE_KEY_TYPES[sig.signatureAlgorithm] !== cert.publicKey.asymmetricKeyType) return false;
  const v = createVerify(sig.hashAlgo);
  for await (const chunk of streamSource(new SliceSource(src, 0, sig.signedLength, src.name))) v.update(chunk);
  try {
    return v.verify(cert.publicKey, sig.signature);
  } catch {
    return false;
  }
}

/** RFC 8017 section 9.2: the DigestInfo an RSA PKCS#1 v1.5 signature holds, less the digest, per hash. */
const DIGEST_INFO: Record<string, string> = {
  sha1: "3021300906052b0e03021a05000414",
  sha224: "302d300d06096086480165030402040500041c",
  sha256: "3031300d060960864801650304020105000420",
  sha384: "3041300d060960864801650304020205000430",
  sha512: "3051300d060960864801650304020305000440",
  "sha3-256": "3031300d060960864801650304020805000420",
  "sha3-384": "3041300d060960864801650304020905000430",
  "sha3-512": "3051300d060960864801650304020a05000440",
};

/** The digest of the module's signed bytes with the signature's hash: all an RSA check needs of the module. */
export async function signedDigest(src: ByteSource, sig: ModuleSignature): Promise<Uint8Array> {
  const h = createHash(sig.hashAlgo);
  for await (const chunk of streamSource(new SliceSource(src, 0, sig.signedLength, src.name))) h.update(chunk);
  return h.digest();
}

/** An RSA signature: verifyModuleDigest judges it from the digest alone; any other needs the content. */
export const rsaSignature = (sig: ModuleSignature): boolean => SIGNATURE_KEY_TYPES[sig.signatureAlgorithm] === "rsa";

/**
 * verifyModuleSignature of an rsaSignature, from the digest of the signed bytes: the signature opened with
 * `cert`'s RSA key must be exactly the DigestInfo of that digest, as OpenSSL's RSA_verify requires.
 */
export function verifyModuleDigest(sig: ModuleSignature, digest: Uint8Array, cert: Certificate): boolean {
  const prefix = DIGEST_INFO[sig.hashAlgo];
  if (prefix === undefined || !rsaSignature(sig) || cert.publicKey.asymmetricKeyType !== "rsa") return false;
  let opened: Buffer;
  try {
    opened = publicDecrypt({ key: cert.publicKey, padding: constants.RSA_PKCS1_PADDING }, sig.signature);
  } catch {
    return false;
  }
  return opened.equals(Buffer.concat([Buffer.from(prefix, "hex"), digest]));
}
