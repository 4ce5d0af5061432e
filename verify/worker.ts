/** The loader's worker thread (./pool.ts): kernel images, modules and signature checks. */

import { type BlockCodec, blockCodec } from "../src/formats/squashfs/codec.js";
import type { StoredFile } from "../src/formats/squashfs/data.js";
import { assembleFile } from "../src/formats/squashfs/data.js";
import type { CompressorName } from "../src/formats/squashfs/format.js";
import { buffersOf, type Moved, serveTasks } from "../src/io/worker-pool.js";
import { type BootCommandLine, readKernel } from "./kernel.js";
import { checkSignature, type ModuleAt, readModule, type SignatureCheck } from "./modules.js";

export type Task =
  | {
      readonly kind: "kernel";
      readonly bytes: Uint8Array;
      readonly location: string;
      readonly boot: BootCommandLine;
    }
  /** A module given whole, or as a SquashFS stores it: its blocks are decoded here. */
  | { readonly kind: "module"; readonly at: ModuleAt; readonly bytes: Uint8Array }
  | { readonly kind: "module"; readonly at: ModuleAt; readonly stored: StoredFile }
  | { readonly kind: "signatures"; readonly checks: readonly SignatureCheck[] };

/** One decoder per image: errors name it. */
const codecs = new Map<string, Promise<BlockCodec>>();
function codec(name: string, compressor: CompressorName): Promise<BlockCodec> {
  const key = `${compressor}:${name}`;
  const known = codecs.get(key) ?? blockCodec(name, compressor);
  codecs.set(key, known);
  return known;
}

const stay = <T>(value: T): Moved<T> => ({ value, transfer: [] });

async function handle(task: Task): Promise<Moved<unknown>> {
  switch (task.kind) {
    case "kernel":
      return stay(await readKernel(task.bytes, task.location, task.boot));
    case "module": {
      const bytes =
        "bytes" in task ? task.bytes : assembleFile(task.stored, await codec(task.stored.name, task.stored.compressor));
      const read = await readModule(bytes, task.at);
      return { value: read, transfer: buffersOf([read.signed?.content]) };
    }
    case "signatures":
      return stay(await Promise.all(task.checks.map(checkSignature)));
  }
}

serveTasks(handle);
