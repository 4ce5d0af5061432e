import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { type CompressionOptions, compressionLevel } from "./encode.js";

/**
 * Compresses data blocks on worker threads, as `mksquashfs -processors N` does: the results come back in any
 * order but each caller awaits its own, so the image's bytes do not depend on the number of threads.
 * The worker is plain JavaScript evaluated from this string, so it runs the same from the sources and from
 * the build; it loads the compressor modules by the paths resolved here.
 */
const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const { compressor, level, modules } = workerData;
let encode;
if (compressor === "gzip") {
  const zlib = require("node:zlib");
  encode = (b) => zlib.deflateSync(b, { level, windowBits: 15 });
} else if (compressor === "xz") {
  const { xzSync } = require(modules.xz);
  encode = (b) => xzSync(Buffer.from(b.buffer, b.byteOffset, b.length), { preset: level });
} else {
  const zstd = require(modules.zstd);
  const c = new zstd.Compressor();
  c.setParameters({ compressionLevel: level });
  encode = (b) => c.compress(b);
}
parentPort.on("message", ({ id, raw }) => {
  try {
    const out = encode(raw);
    parentPort.postMessage({ id, out: out.length < raw.length ? new Uint8Array(out) : null });
  } catch (err) {
    parentPort.postMessage({ id, error: String(err && err.message || err) });
  }
});
`;

interface Reply {
  readonly id: number;
  readonly out?: Uint8Array | null;
  readonly error?: string;
}

export class EncodePool {
  private readonly workers: Worker[] = [];
  private readonly waiting = new Map<number, { resolve(v: Uint8Array | undefined): void; reject(e: Error): void }>();
  private next = 0;

  constructor(opts: CompressionOptions, threads = Math.min(availableParallelism(), 8)) {
    if (!Number.isInteger(threads) || threads < 1)
      throw new RangeError(`threads must be a whole number from 1, not ${threads}`);
    const require = createRequire(import.meta.url);
    const modules =
      opts.compressor === "zstd"
        ? { zstd: resolveOrExplain(require, "zstd-napi", "zstd compression needs the zstd-napi binding") }
        : opts.compressor === "xz"
          ? { xz: require.resolve("node-liblzma") }
          : {};
    const workerData = { compressor: opts.compressor, level: compressionLevel(opts), modules };
    for (let i = 0; i < threads; i++) {
      const w = new Worker(WORKER, { eval: true, workerData });
      w.on("message", (r: Reply) => {
        const waiter = this.waiting.get(r.id);
        this.waiting.delete(r.id);
        if (r.error !== undefined) waiter?.reject(new Error(`${opts.compressor} compression failed: ${r.error}`));
        else waiter?.resolve(r.out ?? undefined);
      });
      w.on("error", (err) => {
        for (const waiter of this.waiting.values()) waiter.reject(err);
        this.waiting.clear();
      });
      this.workers.push(w);
    }
  }

  /** The block compressed, or undefined when compressing does not make it smaller. `raw` is not changed. */
  encode(raw: Uint8Array): Promise<Uint8Array | undefined> {
    const id = this.next++;
    const p = new Promise<Uint8Array | undefined>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    (this.workers[id % this.workers.length] as Worker).postMessage({ id, raw });
    return p;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

function resolveOrExplain(require: NodeJS.Require, name: string, why: string): string {
  try {
    return require.resolve(name);
  } catch (err) {
    throw new Error(`${why}, which is not installed: ${(err as Error).message}`);
  }
}
