/**
 * The walk of one layer: its entries, and the facts of the files the checks judge (modules, modprobe.d files,
 * ld.so.cache files, libraries, depmod indexes), each file read once, in whatever order reads the layer fastest.
 */
import { readLdCache } from "../src/formats/ldcache/read.js";
import type { Certificate } from "../src/formats/x509/certificate.js";
import type { Entry, Layer } from "../src/image/layer.js";
import { BufferSource } from "../src/io/source.js";
import { chainPath } from "../src/report/finding.js";
import { type LayerObject, readLayerObject } from "../src/talos/loader/object.js";
import type { LayerText } from "../src/talos/loader/world.js";
import type { LayerCache, LayerLibrary } from "../src/talos/overlay.js";
import { DEPMOD_INDEX, type DepmodIndex } from "./depmod.js";
import { collect, MAX_FILE } from "./layers.js";
import type { ModprobeFact, ModuleFact, ServiceFact } from "./model.js";
import { MODULE, moduleFact } from "./modules.js";
import { MUSL_PATH, mayBeObject } from "./objects.js";

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
  readonly modules: readonly ModuleFact[];
  readonly modprobe: readonly ModprobeFact[];
  readonly caches: readonly LayerCache[];
  readonly libraries: readonly LayerLibrary[];
  readonly indexes: readonly DepmodIndex[];
  readonly services: readonly ServiceFact[];
  readonly objects: readonly LayerObject[];
  readonly pathFiles: readonly LayerText[];
}

const wanted = (p: string) =>
  MODULE.test(p) ||
  MODPROBE.test(p) ||
  SERVICE.test(p) ||
  p.endsWith("/ld.so.cache") ||
  LIBRARY.test(p) ||
  DEPMOD_INDEX.test(p) ||
  MUSL_PATH.test(p);

// Facts in path order, whatever order the layer was read in.
const byPath = <T extends { path: string }>(a: T, b: T) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/** Reads `layer` as the layer `name`; `certs` are the reference kernel's, undefined without one. */
export async function scanLayer(
  name: string,
  layer: Layer,
  certs: readonly Certificate[] | undefined,
): Promise<LayerScan> {
  const entries: Entry[] = [];
  for await (const e of layer.entries()) if (e.path !== "/") entries.push(e);
  const modules: ModuleFact[] = [];
  const modprobe: ModprobeFact[] = [];
  const caches: LayerCache[] = [];
  const libraries: LayerLibrary[] = [];
  const indexes: DepmodIndex[] = [];
  const services: ServiceFact[] = [];
  const objects: LayerObject[] = [];
  const pathFiles: LayerText[] = [];
  const text = new TextDecoder();
  const files = entries.filter((e) => e.type === "file" && (wanted(e.path) || mayBeObject(e, layer.kind)));
  for await (const { entry, body } of layer.contents(files)) {
    const path = entry.path;
    const location = chainPath(layer.description, path);
    const bytes = await collect(body, entry.size, MAX_FILE, location);
    const index = DEPMOD_INDEX.exec(path);
    if (index) {
      const kind = index[2] as DepmodIndex["kind"];
      indexes.push({ location, layer: name, path, release: index[1] as string, kind, text: text.decode(bytes) });
    } else if (MODULE.test(path)) {
      modules.push(await moduleFact(bytes, { location, layer: name, layerLocation: layer.description, path }, certs));
    } else if (MODPROBE.test(path)) {
      modprobe.push({ location, layer: name, path, text: text.decode(bytes) });
    } else if (SERVICE.test(path)) {
      services.push({ location, layer: name, path, text: text.decode(bytes) });
    } else if (path.endsWith("/ld.so.cache")) {
      caches.push({ layer: name, path, entries: (await readLdCache(new BufferSource(location, bytes))).entries });
    } else if (MUSL_PATH.test(path)) {
      pathFiles.push({ layer: name, path, text: text.decode(bytes) });
    } else {
      const object = await readLayerObject(bytes, name, path);
      if (object !== undefined) objects.push(object);
      const soname = object?.soname;
      if (soname !== undefined && LIBRARY.test(path)) libraries.push({ layer: name, path, soname });
    }
  }
  for (const list of [modules, modprobe, caches, libraries, indexes, services, objects, pathFiles]) list.sort(byPath);
  const location = layer.description;
  return { name, location, entries, modules, modprobe, caches, libraries, indexes, services, objects, pathFiles };
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
    services: to(scan.services),
    objects: to(scan.objects),
    pathFiles: to(scan.pathFiles),
  };
}
