/** The loader's worker thread (./pool.ts): kernel images, modules and signature checks. */

import { sha256OfFile } from "../src/formats/oci/layer.js";
import { type BlockCodec, blockCodec } from "../src/formats/squashfs/codec.js";
import { assembleFile, FragmentBlocks, type StoredFile } from "../src/formats/squashfs/data.js";
import type { CompressorName } from "../src/formats/squashfs/format.js";
import type { Certificate } from "../src/formats/x509/certificate.js";
import { buffersOf, type Fault, fault, type Moved, serveTasks } from "../src/io/worker-pool.js";
import { type BootCommandLine, readKernel } from "./kernel.js";
import {
  checkSignature,
  judgeRead,
  type ModuleAt,
  type ReadModule,
  readModule,
  type SignatureCheck,
} from "./modules.js";

export type ModuleInput =
  | { readonly at: ModuleAt; readonly bytes: Uint8Array }
  | { readonly at: ModuleAt; readonly stored: StoredFile };

/** One module's answer: its facts, or why it could not be read (the others are read all the same). */
export type ModuleOutput = { readonly read: ReadModule } | { readonly fault: Fault };

/** A batch's answers, and the buffer its bytes came in, going back for the next batch. */
export interface ModulesAnswer {
  readonly out: readonly ModuleOutput[];
  readonly buffer: ArrayBuffer;
}

export type Task =
  | {
      readonly kind: "kernel";
      readonly bytes: Uint8Array;
      readonly location: string;
      readonly boot: BootCommandLine;
    }
  /**
   * Modules, each given whole or as a SquashFS stores it (its blocks are decoded here), their bytes views of
   * `buffer`.
   */
  | {
      readonly kind: "modules";
      readonly modules: readonly ModuleInput[];
      readonly buffer: ArrayBuffer;
      /** The reference kernel's certificates, once known: each module is judged here (judgeRead). */
      readonly certs?: readonly Certificate[];
    }
  /** The sha256 of a layer blob, read from its file here. */
  | { readonly kind: "sha256"; readonly file: string; readonly offset: number; readonly size: number }
  /** Signature checks, each naming its certificate by its index in `certs`. */
  | {
      readonly kind: "signatures";
      readonly certs: readonly Certificate[];
      readonly checks: readonly (Omit<SignatureCheck, "cert"> & { readonly cert: number })[];
    };

/** One decoder per image: errors name it. */
const codecs = new Map<string, Promise<BlockCodec>>();
function codec(name: string, compressor: CompressorName): Promise<BlockCodec> {
  const key = `${compressor}:${name}`;
  const known = codecs.get(key) ?? blockCodec(name, compressor);
  codecs.set(key, known);
  return known;
}

const stay = <T>(value: T): Moved<T> => ({ value, transfer: [] });

/** Decoded fragment blocks per image: the files of one batch are neighbours, and share them. */
const fragments = new Map<string, FragmentBlocks>();
function fragmentsOf(image: string): FragmentBlocks {
  const known = fragments.get(image) ?? new FragmentBlocks();
  fragments.set(image, known);
  return known;
}

/**
 * One buffer the modules are decoded into, one after the other: a module's facts keep none of its bytes, and
 * a fresh buffer per module would leave hundreds of MiB for the collector.
 */
let scratch = new Uint8Array(0);
function scratchOf(size: number): Uint8Array {
  if (scratch.length < size) scratch = new Uint8Array(Math.max(size, scratch.length * 2, 1 << 20));
  return scratch;
}

async function handle(task: Task): Promise<Moved<unknown>> {
  switch (task.kind) {
    case "kernel":
      return stay(await readKernel(task.bytes, task.location, task.boot));
    case "modules": {
      const out: ModuleOutput[] = [];
      for (const m of task.modules) {
        try {
          const bytes =
            "bytes" in m
              ? m.bytes
              : assembleFile(
                  m.stored,
                  await codec(m.stored.name, m.stored.compressor),
                  scratchOf(m.stored.size),
                  fragmentsOf(m.stored.name),
                );
          const read = await readModule(bytes, m.at);
          out.push({ read: task.certs ? await judgeRead(read, task.certs) : read });
        } catch (err) {
          out.push({ fault: fault(err) });
        }
      }
      const contents = buffersOf(out.map((o) => ("read" in o ? o.read.signed?.content : undefined)));
      return { value: { out, buffer: task.buffer } satisfies ModulesAnswer, transfer: [...contents, task.buffer] };
    }
    case "sha256":
      return stay(await sha256OfFile(task.file, task.offset, task.size));
    case "signatures":
      return stay(
        await Promise.all(task.checks.map((c) => checkSignature({ ...c, cert: task.certs[c.cert] as Certificate }))),
      );
  }
}

serveTasks(handle);
