import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readKernelImage } from "../../src/formats/kernel/image.js";
import {
  type ModinfoSignature,
  type ModuleSignature,
  modinfoSignature,
  namesCertificate,
  readModuleSignature,
  verifyModuleSignature,
} from "../../src/formats/kmod-sig/signature.js";
import type { Certificate } from "../../src/formats/x509/certificate.js";
import { FileSource } from "../../src/io/source.js";
import { type BenchRow, timeOurs, timeTool } from "./harness.js";

const debian = join(import.meta.dirname, "../../../test/fixtures/out/debian-kernel");
const COMPARED = ["signer", "sig_key", "sig_hashalgo"] as const;

/** `modinfo -0 -F field` over `files`, one value per module, in order. */
function modinfoField(field: keyof ModinfoSignature, files: readonly string[]): string[] {
  const values: string[] = [];
  // Batches keep each command line well under ARG_MAX.
  for (let i = 0; i < files.length; i += 500) {
    const text = execFileSync("/sbin/modinfo", ["-0", "-F", field, ...files.slice(i, i + 500)], {
      encoding: "utf8",
      maxBuffer: 64 << 20,
    });
    values.push(...text.split("\0").slice(0, -1));
  }
  return values;
}

/** Every module's signature, each verified against the certificate it names; an unsigned module is an error. */
async function readAll(
  files: readonly string[],
  certs: readonly Certificate[] | undefined,
): Promise<ModuleSignature[]> {
  const sigs: ModuleSignature[] = [];
  for (const f of files) {
    const src = await FileSource.open(f);
    try {
      const sig = await readModuleSignature(src);
      if (sig === undefined) throw new Error(`${f} is unsigned`);
      if (certs) {
        const cert = certs.find((c) => namesCertificate(sig, c));
        if (!cert || !(await verifyModuleSignature(src, sig, cert))) throw new Error(`${f} does not verify`);
      }
      sigs.push(sig);
    } finally {
      await src.close();
    }
  }
  return sigs;
}

/** Throws unless every module's signer, sig_key and sig_hashalgo are what modinfo prints. */
function compare(files: readonly string[], sigs: readonly ModuleSignature[]): void {
  for (const field of COMPARED) {
    const theirs = modinfoField(field, files);
    if (theirs.length !== files.length) {
      throw new Error(`modinfo -F ${field} printed ${theirs.length} values for ${files.length} modules`);
    }
    sigs.forEach((sig, i) => {
      const mine = modinfoSignature(sig)?.[field];
      if (mine !== theirs[i]) throw new Error(`${files[i]}: ${field} is ${mine}, modinfo prints ${theirs[i]}`);
    });
  }
}

/**
 * Every module of Debian's kernel package: our signature reader (and verifier) against `modinfo -F signer`; the
 * bench fails if any module is unsigned, does not verify, or reads otherwise than modinfo prints it.
 */
export async function bench(): Promise<BenchRow[]> {
  const release = readFileSync(join(debian, "release"), "utf8").trim();
  const root = join(debian, "modules", release);
  const files = readdirSync(root, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ko"))
    .sort()
    .map((f) => join(root, f));
  const k = await FileSource.open(join(debian, "vmlinuz"));
  const certs = await readKernelImage(k)
    .then((image) => image.certificates)
    .finally(() => k.close());
  const cmd = `find ${root} -name '*.ko' -print0 | xargs -0 /sbin/modinfo -F signer >/dev/null`;
  const tool = timeTool(cmd);
  let verified: ModuleSignature[] = [];
  const rows: BenchRow[] = [
    {
      name: `signatures: read ${files.length} modules`,
      oursSeconds: await timeOurs(() => readAll(files, undefined)),
      toolSeconds: tool.seconds,
      toolPeakMiB: tool.peakMiB,
      toolCommand: cmd,
    },
    {
      name: `signatures: read and verify ${files.length} modules`,
      oursSeconds: await timeOurs(async () => {
        verified = await readAll(files, certs);
      }),
      toolSeconds: tool.seconds,
      toolPeakMiB: tool.peakMiB,
      toolCommand: cmd,
      note: "modinfo does not verify",
    },
  ];
  compare(files, verified);
  return rows;
}
