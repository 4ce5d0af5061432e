import { createVerify } from "node:crypto";
import { FormatError } from "../../errors.js";
import { type ByteSource, SliceSource, streamSource } from "../../io/source.js";
import {
  bytesEqual,
  child,
  colonHex,
  commonName,
  type Der,
  oid,
  parseDer,
  TAG,
  unsignedInteger,
} from "../der/index.js";
import type { Certificate } from "../x509/index.js";

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

/** How the signer is named: issuer and serial (sign-file's default) or subject key identifier (`-k`). */
export type SignerId =
  | {
      readonly kind: "issuer-serial";
      readonly issuerDer: Uint8Array;
      readonly serial: string;
      readonly signer?: string;
    }
  | { readonly kind: "skid"; readonly skid: string };

export interface ModuleSignature {
  /** `PKCS#7`, as modinfo's sig_id. */
  readonly sigId: string;
  /** modinfo's `signer` (the issuer's CN), `sig_key` (the serial) and `sig_hashalgo`; absent for SKID signers as in kmod. */
  readonly signer?: string;
  readonly sigKey?: string;
  readonly hashAlgo: string;
  readonly signerId: SignerId;
  readonly signatureAlgorithm: string;
  /** The signature bytes; modinfo prints them as `signature`. */
  readonly signature: Uint8Array;
  /** Bytes of module content that were signed (everything before the signature). */
  readonly signedLength: number;
}

const ID_TYPES = ["PGP", "X509", "PKCS#7"];

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
  const [algo, hash, idType, signerLen, keyIdLen, p0, p1, p2] = s;
  const sigLen = new DataView(s.buffer, s.byteOffset, 12).getUint32(8, false);
  if (idType !== 2) {
    throw new FormatError(
      src.name,
      at + 2,
      "module_signature id_type",
      "2 (PKCS#7)",
      `${idType} (${ID_TYPES[idType as number] ?? "unknown"})`,
    );
  }
  if (algo || hash || signerLen || keyIdLen || p0 || p1 || p2) {
    throw new FormatError(src.name, at, "module_signature", "zero algo, hash, signer_len, key_id_len and padding");
  }
  if (sigLen === 0 || sigLen > at) {
    throw new FormatError(src.name, at + 8, "module_signature sig_len", `1 to ${at}`, String(sigLen));
  }
  const blobAt = at - sigLen;
  const blob =
    blobAt >= tailAt ? tail.subarray(blobAt - tailAt, at - tailAt) : await src.read(blobAt, sigLen, "PKCS#7 signature");
  return { ...parseSignedData(blob, src.name, blobAt), signedLength: blobAt };
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
  const infos = sd.children[sd.children.length - 1] as Der;
  if (infos.tag !== TAG.SET || infos.children.length !== 1) {
    throw new FormatError(file, infos.offset, "SignedData signerInfos", "one SignerInfo");
  }
  const si = infos.children[0] as Der;
  const sid = child(si, 1, file, "SignerInfo sid");
  let signerId: SignerId;
  if (sid.tag === TAG.SEQUENCE) {
    const issuer = child(sid, 0, file, "IssuerAndSerialNumber issuer", TAG.SEQUENCE);
    const serial = colonHex(unsignedInteger(child(sid, 1, file, "IssuerAndSerialNumber serial", TAG.INTEGER).content));
    const cn = commonName(issuer);
    signerId = { kind: "issuer-serial", issuerDer: issuer.raw, serial, ...(cn !== undefined ? { signer: cn } : {}) };
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
  const signature = child(si, 4, file, "SignerInfo signature", TAG.OCTET_STRING).content;
  return {
    sigId: "PKCS#7",
    ...(signerId.kind === "issuer-serial"
      ? { ...(signerId.signer ? { signer: signerId.signer } : {}), sigKey: signerId.serial }
      : {}),
    hashAlgo,
    signerId,
    signatureAlgorithm: oid(child(alg, 0, file, "signature algorithm OID", TAG.OID).content),
    signature,
  };
}

/** Whether `cert` is the one the signature names: issuer DER and serial, or subject key identifier. */
export function namesCertificate(sig: ModuleSignature, cert: Certificate): boolean {
  const id = sig.signerId;
  return id.kind === "skid"
    ? cert.skid === id.skid
    : id.serial === cert.serial && bytesEqual(id.issuerDer, cert.issuerDer);
}

/** Verifies the signature over the module's signed bytes, streamed from `src`, with `cert`'s public key. */
export async function verifyModuleSignature(
  src: ByteSource,
  sig: ModuleSignature,
  cert: Certificate,
): Promise<boolean> {
  const v = createVerify(sig.hashAlgo);
  for await (const chunk of streamSource(new SliceSource(src, 0, sig.signedLength, src.name))) v.update(chunk);
  try {
    return v.verify(cert.publicKey, sig.signature);
  } catch {
    return false;
  }
}

/** modinfo's `signature` field: colon hex, as one string (modinfo wraps it at 20 bytes a line). */
export const signatureHex = (sig: ModuleSignature): string => colonHex(sig.signature);
