/** A kernel module's facts: its .modinfo, and its appended signature judged against the kernel's certificates. */
import { compilersOf, readComments } from "../src/formats/elf/comment.js";
import { ElfFile } from "../src/formats/elf/file.js";
import { readModinfo } from "../src/formats/elf/modinfo.js";
import { readModVersions } from "../src/formats/elf/versions.js";
import { moduleSource } from "../src/formats/kmod-sig/module-source.js";
import {
  modinfoSignature,
  namesCertificate,
  readModuleSignature,
  verifyModuleSignature,
} from "../src/formats/kmod-sig/signature.js";
import type { Certificate } from "../src/formats/x509/certificate.js";
import { BufferSource, type ByteSource } from "../src/io/source.js";
import { certFact, type ModuleFact, type Trust } from "./model.js";

export const MODULE = /\.ko(\.(xz|zst|gz))?$/;

async function trustOf(
  src: ByteSource,
  certs: readonly Certificate[] | undefined,
): Promise<{ trust: Trust; sig?: ModuleFact["signature"] }> {
  const sig = await readModuleSignature(src);
  if (sig === undefined) return { trust: { kind: "unsigned" } };
  const shown = modinfoSignature(sig);
  const fact = shown
    ? { signer: shown.signer, sigKey: shown.sig_key, hashAlgo: shown.sig_hashalgo }
    : // modinfo prints nothing for a `sign-file -k` signature: its key id names the signer instead.
      { signer: sig.signerId.kind === "skid" ? `key ${sig.signerId.skid}` : "", sigKey: "", hashAlgo: sig.hashAlgo };
  if (certs === undefined) return { trust: { kind: "no-kernel" }, sig: fact };
  const cert = certs.find((c) => namesCertificate(sig, c));
  if (cert === undefined) return { trust: { kind: "unknown-key" }, sig: fact };
  const ok = await verifyModuleSignature(src, sig, cert);
  return {
    trust: ok ? { kind: "trusted", cert: certFact(cert) } : { kind: "bad-signature", cert: certFact(cert) },
    sig: fact,
  };
}

/** The module at `path` of a layer; `certs` are the reference kernel's, undefined without one. */
export async function moduleFact(
  bytes: Uint8Array,
  at: { readonly location: string; readonly layer: string; readonly layerLocation: string; readonly path: string },
  certs: readonly Certificate[] | undefined,
): Promise<ModuleFact> {
  const src = await moduleSource(new BufferSource(at.location, bytes));
  const info = await readModinfo(src);
  const elf = await ElfFile.open(src);
  const comments = await readComments(elf);
  const versions = info.intree ? [] : await readModVersions(elf);
  const { trust, sig } = await trustOf(src, certs);
  return {
    ...at,
    name: info.name ?? at.path.replace(/^.*\//, "").replace(MODULE, ""),
    ...(info.vermagic !== undefined ? { vermagic: info.vermagic } : {}),
    ...(info.srcversion !== undefined ? { srcversion: info.srcversion } : {}),
    ...(info.version !== undefined ? { version: info.version } : {}),
    params: info.params,
    aliases: info.alias,
    firmware: info.firmware,
    intree: info.intree,
    compilers: compilersOf(comments).map((c) => c.text),
    versions,
    ...(sig ? { signature: sig } : {}),
    trust,
  };
}
