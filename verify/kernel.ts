/** A kernel image's facts, and the certificates module signatures are judged by (read on a worker thread). */
import { createHash } from "node:crypto";
import { readKernelImage } from "../src/formats/kernel/index.js";
import type { Certificate } from "../src/formats/x509/index.js";
import { BufferSource } from "../src/io/source.js";
import { moduleSignatureEnforcement } from "../src/talos/enforcement.js";
import { certFact, type KernelFact } from "./model.js";

export interface ReadKernel {
  readonly kernel: KernelFact;
  /** The kernel's certificates, with their keys, to verify module signatures with. */
  readonly certificates: readonly Certificate[];
}

/** The kernel image `bytes`, named `location`, booted with `cmdline` (when the artifact fixes it). */
export async function readKernel(
  bytes: Uint8Array,
  location: string,
  cmdline: string | undefined,
  secureBoot: boolean,
): Promise<ReadKernel> {
  const k = await readKernelImage(new BufferSource(location, bytes));
  const compiler = k.config?.get("CONFIG_CC_VERSION_TEXT");
  const kernel: KernelFact = {
    location,
    release: k.release,
    certs: k.certificates.map(certFact),
    digest: createHash("sha256").update(bytes).digest("hex"),
    ...(compiler ? { compiler } : {}),
    enforcement: moduleSignatureEnforcement({
      ...(k.config ? { config: k.config } : {}),
      ...(cmdline !== undefined ? { cmdline } : {}),
      secureBoot,
    }),
  };
  return { kernel, certificates: k.certificates };
}
