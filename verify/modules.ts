/**
 * A kernel module's facts: its .modinfo, and its appended signature judged against the kernel's certificates.
 * Reading (on a worker thread) hashes what was signed; judging needs only that digest and the signature, and
 * the reference kernel's certificates, which are decoded meanwhile: a module read once they are known is judged
 * where it is read, one read before waits for them.
 */
import { compilersOf, readComments } from "../src/formats/elf/comment.js";
import { ElfFile } from "../src/formats/elf/file.js";
import { modinfoOf } from "../src/formats/elf/modinfo.js";
import { readExportedVersions, readModVersions } from "../src/formats/elf/versions.js";
import { moduleSource } from "../src/formats/kmod-sig/module-source.js";
import {
  type ModuleSignature,
  namesCertificate,
  readModuleSignature,
  rsaSignature,
  signedDigest,
  verifyModuleDigest,
  verifyModuleSignature,
} from "../src/formats/kmod-sig/signature.js";
import type { Certificate } from "../src/formats/x509/certificate.js";
import { BufferSource } from "../src/io/source.js";
import { ownBuffer } from "../src/io/worker-pool.js";
import { type CertFact, certFact, type ModuleFact } from "./model.js";

export const MODULE = /\.ko(\.(xz|zst|gz))?$/;

/** Where a module is: its location, layer and path in it. */
export interface ModuleAt {
  readonly location: string;
  readonly layer: string;
  readonly layerLocation: string;
  readonly path: string;
}

/**
 * A module read: its signature and the digest of what it signs, to be judged; or, read on a thread that was
 * given the reference kernel's certificates, judged there, so that no signature bytes travel on.
 */
export type ReadModule = Omit<ModuleFact, "trust"> & {
  readonly signed?: {
    readonly sig: ModuleSignature;
    readonly digest: Uint8Array;
    /** The signed bytes, kept only for a signature that is not RSA (Node checks those over the content). */
    readonly content?: Uint8Array;
  };
  /** The certificate the signature names, by its index among those given (none: an unknown key), and whether it verifies. */
  readonly judged?: { readonly cert?: number; readonly ok: boolean };
};

/** `sig` with buffers of its own: its fields are views of the module, which would travel back whole. */
function own(sig: ModuleSignature): ModuleSignature {
  const id = sig.signerId;
  const signerId = id.kind === "issuer-serial" ? { ...id, issuerDer: ownBuffer(id.issuerDer) } : id;
  return { ...sig, signerId, signature: ownBuffer(sig.signature) };
}

/** The module at `at`, from its file's bytes. */
export async function readModule(bytes: Uint8Array, at: ModuleAt): Promise<ReadModule> {
  const src = await moduleSource(new BufferSource(at.location, bytes));
  // One parse of the headers serves .modinfo, .comment and __versions.
  const elf = await ElfFile.open(src);
  const info = await modinfoOf(elf);
  const comments = await readComments(elf);
  const versions = info.intree ? [] : await readModVersions(elf);
  const exports = await readExportedVersions(elf);
  const sig = await readModuleSignature(src);
  const id = sig?.signerId;
  const signature = sig && {
    // As modinfo prints signer and sig_key; it prints nothing for a `sign-file -k` signature, named by its key id.
    ...(id?.kind === "issuer-serial"
      ? { signer: id.signer, sigKey: id.serial }
      : { signer: `key ${id?.skid}`, sigKey: "" }),
    hashAlgo: sig.hashAlgo,
  };
  const content = sig && !rsaSignature(sig) ? await src.read(0, sig.signedLength, "signed content") : undefined;
  // Fields, not a spread of `at` first: V8 gives each object that begins with a spread a map of its own.
  return {
    location: at.location,
    layer: at.layer,
    path: at.path,
    layerLocation: at.layerLocation,
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
    exports,
    ...(signature ? { signature } : {}),
    ...(sig
      ? {
          signed: {
            sig: own(sig),
            digest: ownBuffer(await signedDigest(src, sig)),
            ...(content ? { content: ownBuffer(content) } : {}),
          },
        }
      : {}),
  };
}

/** The signature checks a batch of modules needs: each signed one against the certificate it names. */
export interface SignatureCheck {
  readonly sig: ModuleSignature;
  readonly digest: Uint8Array;
  readonly content?: Uint8Array;
  readonly cert: Certificate;
}

/** Whether the kernel would accept the signature `check` describes. */
export async function checkSignature({ sig, digest, content, cert }: SignatureCheck): Promise<boolean> {
  if (content === undefined) return verifyModuleDigest(sig, digest, cert);
  return verifyModuleSignature(new BufferSource("module", content), sig, cert);
}

/** `read` judged against `certs` where it was read: its signature is replaced by the verdict. */
export async function judgeRead(read: ReadModule, certs: readonly Certificate[]): Promise<ReadModule> {
  const { signed, ...rest } = read;
  if (signed === undefined) return read;
  const cert = certs.findIndex((c) => namesCertificate(signed.sig, c));
  if (cert < 0) return Object.assign(rest, { judged: { ok: false } });
  const ok = await checkSignature({
    sig: signed.sig,
    digest: signed.digest,
    content: signed.content,
    cert: certs[cert] as Certificate,
  });
  return Object.assign(rest, { judged: { cert, ok } });
}

/** One signature's verdict: the certificate it names (none: an unknown key), and whether it verifies. */
interface Verdict {
  readonly cert?: Certificate;
  readonly ok: boolean;
}

/**
 * Judges modules against the reference kernel's certificates (`certs`, undefined without a reference kernel),
 * `verify` running the checks on the pool in the order given. Checks begin as modules are read, once the
 * certificates are known, so they run beside the reading rather than after it.
 */
export class Judge {
  /** Each signature's place in the batch it was checked in, by the `signed` part its module facts share. */
  private readonly begun = new Map<object, { readonly batch: Promise<Verdict[]>; readonly index: number }>();
  private known: readonly Certificate[] | undefined;

  constructor(
    private readonly certs: Promise<readonly Certificate[] | undefined>,
    private readonly verify: (checks: readonly SignatureCheck[]) => Promise<readonly boolean[]>,
  ) {
    // A kernel that cannot be read fails the run where judge() awaits it, even before any module is read.
    certs.then(
      (c) => {
        this.known = c;
      },
      () => undefined,
    );
  }

  /** The certificates, once read: modules read with them are judged on their thread (judgeRead). */
  get certificates(): readonly Certificate[] | undefined {
    return this.known;
  }

  /** Starts checking the signatures of `modules`, just read. */
  begin(modules: readonly ReadModule[]): void {
    const signed = modules.flatMap((m) => (m.signed && !this.begun.has(m.signed) ? [m.signed] : []));
    if (signed.length === 0) return;
    const batch = this.certs.then(async (certs) => {
      const named = signed.map((s) => certs?.find((c) => namesCertificate(s.sig, c)));
      const checks = signed.flatMap((s, i) => {
        const cert = named[i];
        return cert ? [{ ...s, cert }] : [];
      });
      const oks = await this.verify(checks);
      let next = 0;
      return named.map((cert) => (cert ? { cert, ok: oks[next++] as boolean } : { ok: false }));
    });
    batch.catch(() => undefined); // as `certs`: it fails the run where it is awaited
    for (const [index, s] of signed.entries()) this.begun.set(s, { batch, index });
  }

  /** A signed module's verdict: judged on its thread against `certs`, else by the batch begun for it. */
  private async verdictOf(m: ReadModule, certs: readonly Certificate[]): Promise<Verdict> {
    if (m.judged !== undefined) {
      const cert = m.judged.cert === undefined ? undefined : certs[m.judged.cert];
      return cert ? { cert, ok: m.judged.ok } : { ok: false };
    }
    const { batch, index } = this.begun.get(m.signed as object) as { batch: Promise<Verdict[]>; index: number };
    return (await batch)[index] as Verdict;
  }

  /** The modules' facts, each signature judged. */
  async judge(modules: readonly ReadModule[]): Promise<ModuleFact[]> {
    this.begin(modules);
    const certs = await this.certs;
    // One fact per certificate, shared by the thousands of modules it signs.
    const facts = new Map<Certificate, CertFact>();
    const factOf = (c: Certificate): CertFact => {
      const known = facts.get(c) ?? certFact(c);
      facts.set(c, known);
      return known;
    };
    const out: ModuleFact[] = [];
    for (const read of modules) {
      // `m` is this loop's own copy: the trust is added to it, where a spread of it into a new object would give
      // each fact a V8 map of its own.
      const { signed, judged, ...m } = read;
      const fact = (trust: ModuleFact["trust"]): ModuleFact => Object.assign(m, { trust });
      if (signed === undefined && judged === undefined) out.push(fact({ kind: "unsigned" }));
      else if (certs === undefined) out.push(fact({ kind: "no-kernel" }));
      else {
        const { cert, ok } = await this.verdictOf(read, certs);
        if (cert === undefined) out.push(fact({ kind: "unknown-key" }));
        else out.push(fact({ kind: ok ? "trusted" : "bad-signature", cert: factOf(cert) }));
      }
    }
    return out;
  }
}
