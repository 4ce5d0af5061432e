/**
 * The run's worker threads (src/io/worker-pool.ts) and what the loader asks of them: a kernel image decoded
 * while the initramfs is read, modules decoded, hashed and parsed, and their signatures checked.
 */

import type { Certificate } from "../src/formats/x509/certificate.js";
import { buffersOf, ownBuffer, rethrown, WorkerPool } from "../src/io/worker-pool.js";
import type { BootCommandLine, ReadKernel } from "./kernel.js";
import type { ReadModule, SignatureCheck } from "./modules.js";
import type { ModuleInput, ModuleOutput, Task } from "./worker.js";

/** Signature checks go out in batches: one message per check would cost as much as the check. */
const BATCH = 256;

// Running from the sources, the worker is the .ts file beside this one.
const ENTRY = new URL(import.meta.url.endsWith(".ts") ? "./worker.ts" : "./worker.js", import.meta.url);

export class VerifyPool {
  private readonly pool: WorkerPool<Task, unknown>;
  constructor(threads?: number) {
    this.pool = new WorkerPool(ENTRY, threads);
  }

  /** A kernel image read on a thread of its own while the caller goes on. */
  kernel(bytes: Uint8Array, location: string, boot: BootCommandLine): Promise<ReadKernel> {
    const task: Task = {
      kind: "kernel",
      bytes: ownBuffer(bytes),
      location,
      boot,
    };
    return this.pool.run(task, buffersOf([task.bytes])) as Promise<ReadKernel>;
  }

  /** Modules read on one thread; their bytes, or SquashFS blocks, move there. Each is read or an error. */
  async modules(modules: readonly ModuleInput[]): Promise<(ReadModule | Error)[]> {
    const transfer = buffersOf(
      modules.flatMap((m) =>
        "bytes" in m ? [m.bytes] : [...m.stored.blocks.map((b) => b.bytes), m.stored.fragment?.bytes],
      ),
    );
    const out = (await this.pool.run({ kind: "modules", modules }, transfer)) as ModuleOutput[];
    return out.map((o) => ("read" in o ? o.read : rethrown(o.fault)));
  }

  /**
   * Whether each signature verifies, in the order given. A batch names each certificate once: thousands of
   * checks share a few, and each would otherwise be copied to the thread with every check.
   */
  async signatures(checks: readonly SignatureCheck[]): Promise<boolean[]> {
    const batches: Promise<boolean[]>[] = [];
    for (let i = 0; i < checks.length; i += BATCH) {
      const certs: Certificate[] = [];
      const batch = checks.slice(i, i + BATCH).map(({ cert, ...check }) => {
        const known = certs.indexOf(cert);
        return { ...check, cert: known < 0 ? certs.push(cert) - 1 : known };
      });
      batches.push(this.pool.run({ kind: "signatures", certs, checks: batch }) as Promise<boolean[]>);
    }
    return (await Promise.all(batches)).flat();
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
