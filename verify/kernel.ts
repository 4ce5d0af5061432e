/** A kernel image's facts, and the certificates module signatures are judged by (read on a worker thread). */
import { createHash } from "node:crypto";
import { readKernelImage } from "../src/formats/kernel/image.js";
import type { Certificate } from "../src/formats/x509/certificate.js";
import { BufferSource } from "../src/io/source.js";
import { moduleSignatureEnforcement } from "../src/talos/enforcement.js";
import { certFact, type KernelFact } from "./model.js";

/** How the artifact boots the kernel: its command line, where it fixes one, and Secure Boot. */
export interface BootCommandLine {
  readonly cmdline?: string;
  readonly cmdlineOrigin?: string;
  readonly secureBoot: boolean;
}

export interface ReadKernel {
  readonly kernel: KernelFact;
  /** The kernel's certificates, with their keys, to verify module signatures with. */
  readonly certificates: readonly Certificate[];
}

/** The kernel image `bytes`, named `location`, booted as `boot` says. */
export async function readKernel(bytes: Uint8Array, location: string, boot: BootCommandLine): Promise<ReadKernel> {
  const k = await readKernelImage(new BufferSource(location, bytes));
  const compiler = k.config?.get("CONFIG_CC_VERSION_TEXT");
  const { exportCrcs } = k;
  const kernel: KernelFact = {
    location,
    release: k.release,
    certs: k.certificates.map(certFact),
    digest: createHash("sha256").update(bytes).digest("hex"),
    ...(compiler ? { compiler } : {}),
    ...(exportCrcs ? { exportCrcs } : {}),
    enforcement: moduleSignatureEnforcement({ ...(k.config ? { config: k.config } : {}), ...boot }),
  };
  return { kernel, certificates: k.certificates };
}
