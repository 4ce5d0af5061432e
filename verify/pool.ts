/**
 * The run's worker threads (src/io/worker-pool.ts) and what the loader asks of them: a kernel image decoded
 * while the initramfs is read, modules decoded, hashed and parsed, and their signatures checked.
 */

import { fragmentKey, type StoredFile } from "../src/formats/squashfs/data.js";
import type { Certificate } from "../src/formats/x509/certificate.js";
import { buffersOf, ownBuffer, rethrown, WorkerPool } from "../src/io/worker-pool.js";
import type { BootCommandLine, ReadKernel } from "./kernel.js";
import type { ReadModule, SignatureCheck } from "./modules.js";
import { SharedStrings } from "./shared-strings.js";
import type { ModuleInput, ModulesAnswer, Task } from "./worker.js";

/** Signature checks go out in batches: one message per check would cost as much as the check. */
const BATCH = 256;

/**
 * A batch of modules moves to its thread as one buffer, and comes back with the answer to carry the next: a
 * fresh buffer per batch would leave the threads hundreds of MiB for their collectors. Buffers this large are
 * kept for reuse, a few at a time; a larger batch (one large module) makes one of its own.
 */
const PACK = 2 << 20;
const SPARE = 8;

/** The batch's bytes copied into one buffer, each input's views into it; a fragment block its files share is copied once. */
function packed(
  modules: readonly ModuleInput[],
  spare: ArrayBuffer[],
): { modules: ModuleInput[]; buffer: ArrayBuffer } {
  const counted = new Set<string>();
  let size = 0;
  for (const m of modules) {
    if ("bytes" in m) size += m.bytes.length;
    else {
      for (const b of m.stored.blocks) size += b.bytes?.length ?? 0;
      const key = fragmentKey(m.stored);
      if (m.stored.fragment && key !== undefined && !counted.has(key)) {
        counted.add(key);
        size += m.stored.fragment.bytes.length;
      }
    }
  }
  const buffer = (spare.length > 0 && size <= PACK ? spare.pop() : undefined) ?? new ArrayBuffer(Math.max(size, PACK));
  let at = 0;
  const copy = (v: Uint8Array) => {
    const into = new Uint8Array(buffer, at, v.length);
    into.set(v);
    at += v.length;
    return into;
  };
  const fragments = new Map<string, Uint8Array>();
  const fragmentCopy = (s: StoredFile, bytes: Uint8Array) => {
    const key = fragmentKey(s) as string;
    const known = fragments.get(key) ?? copy(bytes);
    fragments.set(key, known);
    return known;
  };
  return {
    buffer,
    modules: modules.map((m) => {
      if ("bytes" in m) return { at: m.at, bytes: copy(m.bytes) };
      // Literals that begin with a field, not a spread: V8 gives each object that begins with a spread a map
      // of its own, and a batch makes thousands.
      const { blocks, fragment, ...rest } = m.stored;
      const stored = {
        blocks: blocks.map((b) => (b.bytes ? { at: b.at, compressed: b.compressed, bytes: copy(b.bytes) } : b)),
        ...rest,
        ...(fragment
          ? {
              fragment: {
                bytes: fragmentCopy(m.stored, fragment.bytes),
                compressed: fragment.compressed,
                at: fragment.at,
                index: fragment.index,
                offset: fragment.offset,
              },
            }
          : {}),
      };
      return { at: m.at, stored };
    }),
  };
}

// Running from the sources, the worker is the .ts file beside this one.
const ENTRY = new URL(import.meta.url.endsWith(".ts") ? "./worker.ts" : "./worker.js", import.meta.url);

export class VerifyPool {
  private readonly pool: WorkerPool<Task, unknown>;
  /** Batch buffers back from the threads. */
  private readonly spare: ArrayBuffer[] = [];
  private readonly strings = new SharedStrings();
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

  /** The sha256 of `size` bytes at `offset` of `file`, hashed on a thread (a layer blob, read there). */
  sha256(file: string, offset: number, size: number): Promise<string> {
    return this.pool.run({ kind: "sha256", file, offset, size }) as Promise<string>;
  }

  /**
   * Modules read on one thread; their bytes, or SquashFS blocks, are copied there (the inputs stay the
   * caller's). Each is read or an error; with `certs`, each signature is judged there too.
   */
  async modules(modules: readonly ModuleInput[], certs?: readonly Certificate[]): Promise<(ReadModule | Error)[]> {
    const task = { kind: "modules", ...packed(modules, this.spare), ...(certs ? { certs } : {}) } as const;
    const { out, buffer } = (await this.pool.run(task, [task.buffer])) as ModulesAnswer;
    if (buffer.byteLength === PACK && this.spare.length < SPARE) this.spare.push(buffer);
    return out.map((o) => ("read" in o ? this.strings.module(o.read) : rethrown(o.fault)));
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
