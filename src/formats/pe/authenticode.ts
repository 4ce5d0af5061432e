/**
 * Authenticode signatures of a PE image (Microsoft's "Windows Authenticode Portable Executable Signature
 * Format"; what sbsign writes and UEFI Secure Boot checks): WIN_CERTIFICATE entries in the certificate table,
 * each a PKCS#7 SignedData whose SpcIndirectDataContent carries the digest of the image.
 */
import { createHash, createVerify } from "node:crypto";
import { FormatError } from "../../io/errors.js";
import { type ByteSource, SliceSource, streamSource } from "../../io/source.js";
import { bytesEqual, child, colonHex, type Der, oid, parseDer, TAG, unsignedInteger } from "../der/parse.js";
import { type Certificate, parseCertificate } from "../x509/certificate.js";
import type { PeHeader } from "./header.js";

export interface AuthenticodeSignature {
  /** File offset of its WIN_CERTIFICATE entry. */
  readonly offset: number;
  /** The hash the image digest is taken with (`sha256`). */
  readonly hashAlgo: string;
  /** The image digest the signer vouched for (SpcIndirectDataContent.messageDigest). */
  readonly imageDigest: Uint8Array;
  /** The certificate that signed, found among SignedData's certificates by issuer and serial. */
  readonly signer: Certificate;
  readonly certificates: readonly Certificate[];
  /** The DER of SpcIndirectDataContent's value, whose hash the messageDigest attribute holds. */
  readonly content: Uint8Array;
  readonly messageDigest: Uint8Array;
  /** The signed attributes as signed: re-tagged as SET OF. */
  readonly signedAttributes: Uint8Array;
  readonly signatureAlgorithm: string;
  readonly signature: Uint8Array;
}

const WIN_CERT_REVISION_2 = 0x0200;
const WIN_CERT_TYPE_PKCS_SIGNED_DATA = 0x0002;
const SIGNED_DATA = "1.2.840.113549.1.7.2";
const SPC_INDIRECT_DATA = "1.3.6.1.4.1.311.2.1.4";
const MESSAGE_DIGEST = "1.2.840.113549.1.9.4";
const HASHES: Record<string, string> = {
  "2.16.840.1.101.3.4.2.1": "sha256",
  "2.16.840.1.101.3.4.2.2": "sha384",
  "2.16.840.1.101.3.4.2.3": "sha512",
  "1.3.14.3.2.26": "sha1",
};
const RSA_ENCRYPTION = "1.2.840.113549.1.1.1";
const RSA_WITH: Record<string, string> = {
  "1.2.840.113549.1.1.11": "sha256",
  "1.2.840.113549.1.1.12": "sha384",
  "1.2.840.113549.1.1.13": "sha512",
};

/** Every signature in the image's certificate table, in order; none when the image is unsigned. */
export async function readAuthenticode(src: ByteSource, header: PeHeader): Promise<AuthenticodeSignature[]> {
  const table = header.certificates;
  if (table === undefined) return [];
  const bytes = await src.read(table.offset, table.size, "certificate table");
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const out: AuthenticodeSignature[] = [];
  // Entries are 8-byte aligned (the PE format's quadword alignment of the attribute certificate table).
  for (let at = 0; at + 8 <= bytes.length; at += (v.getUint32(at, true) + 7) & ~7) {
    const length = v.getUint32(at, true);
    const where = table.offset + at;
    if (length < 8 || at + length > bytes.length) {
      throw new FormatError(src.name, where, "WIN_CERTIFICATE dwLength", `8 to ${bytes.length - at}`, String(length));
    }
    const revision = v.getUint16(at + 4, true);
    const type = v.getUint16(at + 6, true);
    if (revision !== WIN_CERT_REVISION_2) {
      throw new FormatError(src.name, where + 4, "WIN_CERTIFICATE wRevision", "0x0200", `0x${revision.toString(16)}`);
    }
    if (type !== WIN_CERT_TYPE_PKCS_SIGNED_DATA) {
      throw new FormatError(src.name, where + 6, "WIN_CERTIFICATE wCertificateType", "2 (PKCS#7)", String(type));
    }
    out.push(parseSignedData(bytes.subarray(at + 8, at + length), src.name, where + 8, where));
  }
  return out;
}

/** Signers may pad the blob to the entry's length with zeros after the DER: keep the outer element alone. */
function withoutPadding(blob: Uint8Array): Uint8Array {
  const first = blob[1];
  if (blob.length < 2 || first === undefined) return blob;
  if (first < 0x80) return blob.subarray(0, 2 + first);
  const n = first & 0x7f;
  if (n === 0 || n > 4 || blob.length < 2 + n) return blob;
  let length = 0;
  for (let i = 0; i < n; i++) length = length * 256 + (blob[2 + i] as number);
  return blob.subarray(0, Math.min(blob.length, 2 + n + length));
}

function parseSignedData(raw: Uint8Array, file: string, base: number, offset: number): AuthenticodeSignature {
  const ci = parseDer(withoutPadding(raw), file, base);
  const type = child(ci, 0, file, "ContentInfo", TAG.OID);
  if (oid(type.content) !== SIGNED_DATA) {
    throw new FormatError(
      file,
      type.offset,
      "ContentInfo contentType",
      `signedData (${SIGNED_DATA})`,
      oid(type.content),
    );
  }
  const sd = child(child(ci, 1, file, "ContentInfo content", 0xa0), 0, file, "SignedData", TAG.SEQUENCE);
  const encap = child(sd, 2, file, "SignedData encapContentInfo", TAG.SEQUENCE);
  const encapType = child(encap, 0, file, "encapContentInfo eContentType", TAG.OID);
  if (oid(encapType.content) !== SPC_INDIRECT_DATA) {
    throw new FormatError(
      file,
      encapType.offset,
      "eContentType",
      `SpcIndirectDataContent (${SPC_INDIRECT_DATA})`,
      oid(encapType.content),
    );
  }
  const spc = child(child(encap, 1, file, "eContent", 0xa0), 0, file, "SpcIndirectDataContent", TAG.SEQUENCE);
  const digestInfo = child(spc, 1, file, "SpcIndirectDataContent messageDigest", TAG.SEQUENCE);
  const hashAlgo = hashOf(child(digestInfo, 0, file, "DigestInfo digestAlgorithm", TAG.SEQUENCE), file);
  const imageDigest = child(digestInfo, 1, file, "DigestInfo digest", TAG.OCTET_STRING).content;

  const certsEl = sd.children.find((c) => c.tag === 0xa0);
  const certificates = (certsEl?.children ?? []).map((c) => parseCertificate(c.raw, file, c.offset));
  const infos = sd.children[sd.children.length - 1] as Der;
  if (infos.tag !== TAG.SET || infos.children.length !== 1) {
    throw new FormatError(file, infos.offset, "SignedData signerInfos", "one SignerInfo");
  }
  const si = infos.children[0] as Der;
  const sid = child(si, 1, file, "SignerInfo sid", TAG.SEQUENCE);
  const issuer = child(sid, 0, file, "IssuerAndSerialNumber issuer", TAG.SEQUENCE);
  const serial = colonHex(unsignedInteger(child(sid, 1, file, "IssuerAndSerialNumber serial", TAG.INTEGER).content));
  const signer = certificates.find((c) => c.serial === serial && bytesEqual(c.issuerDer, issuer.raw));
  if (signer === undefined) {
    throw new FormatError(file, sid.offset, "SignerInfo sid", "a certificate of SignedData", `serial ${serial}`);
  }
  if (hashOf(child(si, 2, file, "SignerInfo digestAlgorithm", TAG.SEQUENCE), file) !== hashAlgo) {
    throw new FormatError(file, si.offset, "SignerInfo digestAlgorithm", hashAlgo);
  }
  const attrs = child(si, 3, file, "SignerInfo signedAttrs", 0xa0);
  const messageDigest = attrs.children.find(
    (a) => a.children[0] !== undefined && oid(a.children[0].content) === MESSAGE_DIGEST,
  );
  const digestValue = messageDigest?.children[1]?.children[0];
  if (digestValue?.tag !== TAG.OCTET_STRING) {
    throw new FormatError(file, attrs.offset, "signedAttrs", "a messageDigest attribute");
  }
  const alg = child(child(si, 4, file, "SignerInfo signatureAlgorithm", TAG.SEQUENCE), 0, file, "algorithm", TAG.OID);
  // Signed attributes are signed as the universal SET OF they are, not as the [0] they are stored under.
  const signedAttributes = Uint8Array.from(attrs.raw);
  signedAttributes[0] = TAG.SET;
  return {
    offset,
    hashAlgo,
    imageDigest,
    signer,
    certificates,
    content: spc.content,
    messageDigest: digestValue.content,
    signedAttributes,
    signatureAlgorithm: oid(alg.content),
    signature: child(si, 5, file, "SignerInfo signature", TAG.OCTET_STRING).content,
  };
}

function hashOf(algorithm: Der, file: string): string {
  const id = oid(child(algorithm, 0, file, "AlgorithmIdentifier", TAG.OID).content);
  const hash = HASHES[id];
  if (hash === undefined) throw new FormatError(file, algorithm.offset, "digest algorithm", "SHA-1 or SHA-2", id);
  return hash;
}

/**
 * The Authenticode digest: the headers without CheckSum and the certificate-table entry, every section's raw
 * data in file order, then what lies past SizeOfHeaders plus the sections' raw sizes (the format's
 * SUM_OF_BYTES_HASHED, taken as a file offset, as signers and firmware take it) up to the certificate table.
 */
export async function authenticodeDigest(src: ByteSource, header: PeHeader, hashAlgo: string): Promise<Uint8Array> {
  const hash = createHash(hashAlgo);
  const add = async (start: number, end: number) => {
    if (end <= start) return;
    for await (const chunk of streamSource(new SliceSource(src, start, end - start, src.name))) hash.update(chunk);
  };
  const skips = [
    [header.checksumAt, 4],
    ...(header.certificateDirAt === undefined ? [] : [[header.certificateDirAt, 8]]),
  ] as const;
  let at = 0;
  for (const [skip, length] of skips) {
    await add(at, skip);
    at = skip + length;
  }
  await add(at, header.sizeOfHeaders);
  let hashed = header.sizeOfHeaders;
  const sections = header.sections.filter((s) => s.sizeOfRawData > 0);
  for (const s of [...sections].sort((a, b) => a.pointerToRawData - b.pointerToRawData)) {
    await add(s.pointerToRawData, s.pointerToRawData + s.sizeOfRawData);
    hashed += s.sizeOfRawData;
  }
  await add(hashed, src.size - (header.certificates?.size ?? 0));
  return new Uint8Array(hash.digest());
}

export interface AuthenticodeVerdict {
  /** The image hashes to the digest the signature names. */
  readonly digestMatches: boolean;
  /** The signer's key signed the attributes, and they name that content. */
  readonly signatureValid: boolean;
}

export async function verifyAuthenticode(
  src: ByteSource,
  header: PeHeader,
  sig: AuthenticodeSignature,
): Promise<AuthenticodeVerdict> {
  const digest = await authenticodeDigest(src, header, sig.hashAlgo);
  const contentHash = new Uint8Array(createHash(sig.hashAlgo).update(sig.content).digest());
  const verifyHash = sig.signatureAlgorithm === RSA_ENCRYPTION ? sig.hashAlgo : RSA_WITH[sig.signatureAlgorithm];
  let signed = false;
  if (verifyHash !== undefined && sig.signer.publicKey.asymmetricKeyType === "rsa") {
    try {
      signed = createVerify(verifyHash).update(sig.signedAttributes).verify(sig.signer.publicKey, sig.signature);
    } catch {
      signed = false;
    }
  }
  return {
    digestMatches: bytesEqual(digest, sig.imageDigest),
    signatureValid: signed && bytesEqual(contentHash, sig.messageDigest),
  };
}

/** Every signature of the image with its verdict, in table order. */
export async function judgeAuthenticode(
  src: ByteSource,
  header: PeHeader,
): Promise<{ readonly signature: AuthenticodeSignature; readonly verdict: AuthenticodeVerdict }[]> {
  const out = [];
  for (const signature of await readAuthenticode(src, header)) {
    out.push({ signature, verdict: await verifyAuthenticode(src, header, signature) });
  }
  return out;
}
