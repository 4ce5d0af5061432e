/**
 * The walk of one layer: its entries, and the facts of the files the checks judge (modules, modprobe.d files,
 * ld.so.cache files, libraries, depmod indexes), each file read once, in whatever order reads the layer fastest.
 * Modules are decoded, parsed and hashed on the pool, a bounded number at a time; facts are sorted by path, so
 * they do not depend on the number of threads. A file that cannot be read is a fault, and the walk goes on.
 */
import { readLdCache } from "../src/formats/ldcache/read.js";
import { fragmentKey, type StoredFile } from "../src/formats/squashfs/data.js";
import type { Entry, Layer } from "../src/image/layer.js";
import { FormatError, LimitError } from "../src/io/errors.js";
import { BufferSource } from "../src/io/source.js";
import { chainPath } from "../src/report/finding.js";
import { type LayerObject, readLayerObject } from "../src/talos/loader/object.js";
import { readShebang } from "../src/talos/loader/shebang.js";
import type { LayerText } from "../src/talos/loader/world.js";
import type { LayerCache, LayerLibrary } from "../src/talos/overlay.js";
import { DEPMOD_INDEX, type DepmodIndex } from "./depmod.js";
import { collect, MAX_FILE } from "./layers.js";
import type { FileFault, ModprobeFact, ScriptFact, ServiceFact } from "./model.js";
import { type Judge, MODULE, type ReadModule } from "./modules.js";
import { MUSL_PATH, mayBeObject } from "./objects.js";
import type { VerifyPool } from "./pool.js";
import type { ModuleInput } from "./worker.js";

const MODPROBE = /^\/(usr\/local\/lib|usr\/lib|lib|etc)\/modprobe\.d\/[^/]+\.conf$/;
const LIBRARY = /\/lib[^/]*\.so(\.[0-9.]+)?$/;
/** Extension service specs, where machined reads them (constants.ExtensionServiceConfigPath). */
const SERVICE = /^\/usr\/local\/etc\/containers\/[^/]+\.yaml$/;

/** What one layer yields; `layer` fields carry the name given when it was scanned. */
export interface LayerScan {
  readonly name: string;
  readonly location: string;
  /** Every entry but the root, which is where the layer is mounted rather than something it ships. */
  readonly entries: readonly Entry[];
  /** Read, to be judged once the reference kernel is read. */
  readonly modules: readonly ReadModule[];
  readonly modprobe: readonly ModprobeFact[];
  readonly caches: readonly LayerCache[];
  readonly libraries: readonly LayerLibrary[];
  readonly indexes: readonly DepmodIndex[];
  readonly services: readonly ServiceFact[];
  readonly objects: readonly LayerObject[];
  readonly scripts: readonly ScriptFact[];
  readonly pathFiles: readonly LayerText[];
  readonly faults: readonly FileFault[];
}

/** A file of the layer being read. */
type At = { readonly location: string; readonly layer: string; readonly path: string };

/** Batches in flight on the pool at once: enough to keep every thread fed, few enough to bound memory. */
const IN_FLIGHT = 8;
/** A batch: this many modules, or this many stored bytes, whichever comes first. */
const BATCH = 16;
const BATCH_BYTES = 1 << 20;

/** A file's reader error as a fault of the file; any other error is a bug, and thrown on. */
function faultOf(err: unknown, at: At): FileFault {
  if (err instanceof FormatError) {
    const { file, offset, structure, expected, found } = err;
    return { ...at, file, offset, structure, expected, ...(found !== undefined ? { found } : {}) };
  }
  if (err instanceof LimitError) {
    const { file, offset, what, limit, requested } = err;
    return { ...at, file, offset, structure: what, expected: `at most ${limit} bytes`, found: `${requested} bytes` };
  }
  throw err;
}

const wanted = (p: string) =>
  MODULE.test(p) ||
  MODPROBE.test(p) ||
  SERVICE.test(p) ||
  p.endsWith("/ld.so.cache") ||
  LIBRARY.test(p) ||
  DEPMOD_INDEX.test(p) ||
  MUSL_PATH.test(p);

const sameFragment = (a: StoredFile, b: StoredFile) =>
  fragmentKey(a) !== undefined && fragmentKey(a) === fragmentKey(b);

// Facts in path order, whatever order the layer was read in.
const byPath = <T extends { path: string }>(a: T, b: T) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/**
 * Reads `layer` as the layer `name`; with `judge`, a batch sent once the reference kernel is read is judged on
 * its thread, and one sent before begins its signature checks when it comes back.
 */
export async function scanLayer(name: string, layer: Layer, pool: VerifyPool, judge?: Judge): Promise<LayerScan> {
  const entries: Entry[] = [];
  for await (const e of layer.entries()) if (e.path !== "/") entries.push(e);
  const modules: ReadModule[] = [];
  const modprobe: ModprobeFact[] = [];
  const caches: LayerCache[] = [];
  const libraries: LayerLibrary[] = [];
  const indexes: DepmodIndex[] = [];
  const services: ServiceFact[] = [];
  const objects: LayerObject[] = [];
  const scripts: ScriptFact[] = [];
  const pathFiles: LayerText[] = [];
  const faults: FileFault[] = [];
  const text = new TextDecoder();
  const files = entries.filter((e) => e.type === "file" && (wanted(e.path) || mayBeObject(e, layer.kind)));
  const inFlight = new Set<Promise<void>>();
  // Modules go to the pool in batches: one message per module would cost about as much as reading it.
  let batch: { input: ModuleInput; at: At }[] = [];
  let batchBytes = 0;
  const flush = () => {
    const sent = batch;
    batch = [];
    batchBytes = 0;
    if (sent.length === 0) return;
    const done: Promise<void> = pool
      .modules(
        sent.map((b) => b.input),
        judge?.certificates,
      )
      .then((out) => {
        const read: ReadModule[] = [];
        for (const [i, r] of out.entries()) {
          if (r instanceof Error) faults.push(faultOf(r, (sent[i] as (typeof sent)[number]).at));
          else read.push(r);
        }
        judge?.begin(read);
        modules.push(...read);
      })
      .finally(() => inFlight.delete(done));
    inFlight.add(done);
  };
  for await (const { entry, body, stored } of layer.contents(files)) {
    const path = entry.path;
    const location = chainPath(layer.description, path);
    const at = { location, layer: name, path };
    try {
      if (MODULE.test(path)) {
        const where = { location, layer: name, path, layerLocation: layer.description };
        // Its blocks are read here, in the layer's order; decoding them is the worker's.
        const input: ModuleInput = stored
          ? { at: where, stored: await stored() }
          : { at: where, bytes: await collect(body, entry.size, MAX_FILE, location) };
        // A full batch goes, unless this file shares the last one's fragment block: then each block is decoded
        // by one thread, once.
        const last = batch.at(-1)?.input;
        const shares = last && "stored" in last && "stored" in input && sameFragment(last.stored, input.stored);
        if ((batch.length >= BATCH || batchBytes >= BATCH_BYTES) && !shares) {
          flush();
          while (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
        }
        batch.push({ input, at });
        batchBytes +=
          "bytes" in input ? input.bytes.length : input.stored.blocks.reduce((n, b) => n + (b.bytes?.length ?? 0), 0);
        continue;
      }
      await readFile(at, await collect(body, entry.size, MAX_FILE, location));
    } catch (err) {
      faults.push(faultOf(err, at));
    }
  }
  flush();
  await Promise.all(inFlight);
  for (const list of [modules, modprobe, caches, libraries, indexes, services, objects, scripts, pathFiles, faults]) {
    list.sort(byPath);
  }
  const location = layer.description;
  const facts = { modules, modprobe, caches, libraries, indexes, services, objects, scripts, pathFiles, faults };
  return { name, location, entries, ...facts };

  async function readFile({ location, path }: At, bytes: Uint8Array) {
    const index = DEPMOD_INDEX.exec(path);
    if (index) {
      const kind = index[2] as DepmodIndex["kind"];
      indexes.push({ location, layer: name, path, release: index[1] as string, kind, text: text.decode(bytes) });
    } else if (MODPROBE.test(path)) {
      modprobe.push({ location, layer: name, path, text: text.decode(bytes) });
    } else if (SERVICE.test(path)) {
      services.push({ location, layer: name, path, text: text.decode(bytes) });
    } else if (path.endsWith("/ld.so.cache")) {
      caches.push({ layer: name, path, entries: (await readLdCache(new BufferSource(location, bytes))).entries });
    } else if (MUSL_PATH.test(path)) {
      pathFiles.push({ layer: name, path, text: text.decode(bytes) });
    } else {
      const shebang = readShebang(bytes);
      if (shebang !== undefined) {
        scripts.push({ location, layer: name, path, ...shebang });
        return;
      }
      const object = await readLayerObject(bytes, name, path);
      if (object !== undefined) objects.push(object);
      const soname = object?.soname;
      if (soname !== undefined && LIBRARY.test(path)) libraries.push({ layer: name, path, soname });
    }
  }
}

/** A layer scanned before extensions.yaml named it, under its name from there. */
export function renamed(scan: LayerScan, name: string): LayerScan {
  const to = <T extends { layer: string }>(xs: readonly T[]): T[] => xs.map((x) => ({ ...x, layer: name }));
  return {
    ...scan,
    name,
    modules: to(scan.modules),
    modprobe: to(scan.modprobe),
    caches: to(scan.caches),
    libraries: to(scan.libraries),
    indexes: to(scan.indexes),
    faults: to(scan.faults),
    services: to(scan.services),
    objects: to(scan.objects),
    scripts: to(scan.scripts),
    pathFiles: to(scan.pathFiles),
  };
}
