/**
 * Reads one to five artifacts into the verify model: image archives are flattened, an installer's initramfs is
 * split into its segments, the rootfs and every extension SquashFS are walked, and every module, modprobe.d
 * file, ld.so.cache, library and depmod index is turned into facts; extensions.yaml then gives the layers their
 * names and order. Nothing is written to disk.
 *
 * Memory: the initramfs is read in place from its layer when the layer is stored uncompressed. A SquashFS
 * inside a compressed segment needs random access, so it is held while it is walked, one at a time, and
 * dropped once its facts are taken: the peak is the largest SquashFS, not the whole initramfs.
 */
import { createHash } from "node:crypto";
import { stat } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { readDynamicInfo } from "../src/formats/elf/dynamic.js";
import { readModinfo } from "../src/formats/elf/modinfo.js";
import { segmentEntries, splitInitramfs } from "../src/formats/initramfs/reader.js";
import { readKernelImage } from "../src/formats/kernel/image.js";
import { moduleSource } from "../src/formats/kmod-sig/module-source.js";
import {
  modinfoSignature,
  namesCertificate,
  readModuleSignature,
  verifyModuleSignature,
} from "../src/formats/kmod-sig/signature.js";
import { readLdCache } from "../src/formats/ldcache/read.js";
import { DEFAULT_PLATFORM, type Image, openImageArchive, type Platform } from "../src/formats/oci/archive.js";
import { type Inode, SquashFs } from "../src/formats/squashfs/reader.js";
import type { Certificate } from "../src/formats/x509/certificate.js";
import { flattenImage, forEachImageFile, imageFileSource, readImageFile } from "../src/image/image-layers.js";
import type { FsTree } from "../src/image/tree.js";
import { FormatError, LimitError } from "../src/io/errors.js";
import { BufferSource, type ByteSource, SliceSource } from "../src/io/source.js";
import { chainPath } from "../src/report/finding.js";
import type { LayerCache, LayerLibrary, OverlayEntryType, OverlayLayer } from "../src/talos/overlay.js";
import type {
  ArtifactFact,
  CertFact,
  ExtensionFact,
  KernelFact,
  ModprobeFact,
  ModuleFact,
  ModulesAliasFact,
  ModulesDepFact,
  Role,
  Trust,
  VerifyModel,
} from "./model.js";
import { ROLES } from "./model.js";
import type { Progress } from "./progress.js";

export interface ArtifactInput {
  readonly role: Role;
  readonly file: string;
}

/** Bounds for what is read whole: an initramfs in a compressed layer, a SquashFS inside it, one file. */
const MAX_INITRAMFS = 2 * 2 ** 30;
const MAX_SQUASHFS = 2 * 2 ** 30;
const MAX_FILE = 1 << 30;

const MODULE = /\.ko(\.(xz|zst|gz))?$/;
const MODPROBE = /^\/(usr\/local\/lib|usr\/lib|lib|etc)\/modprobe\.d\/[^/]+\.conf$/;
const LIBRARY = /\/lib[^/]*\.so(\.[0-9.]+)?$/;
/** The depmod outputs the stomping checks read; the .bin files say the same. */
const DEPMOD_INDEX = /^\/usr\/lib\/modules\/([^/]+)\/modules\.(dep|alias)$/;

type Entries = Map<string, { type: string; mode: number }>;

/** A modules.dep or modules.alias of one layer, as read. */
interface DepmodIndex {
  readonly location: string;
  readonly layer: string;
  readonly path: string;
  readonly release: string;
  readonly kind: "dep" | "alias";
  readonly text: string;
}

/** The files of one layer, handed out one at a time. */
interface LayerFiles {
  readonly location: string;
  readonly entries: Entries;
  /** Calls `visit` with each file's content, in whatever order reads the layer fastest. */
  each(paths: readonly string[], visit: (path: string, bytes: Uint8Array) => Promise<void>): Promise<void>;
}

/** What one layer yields; `layer` fields carry the name given when it was scanned. */
interface LayerScan {
  readonly name: string;
  readonly location: string;
  readonly entries: Entries;
  readonly modules: readonly ModuleFact[];
  readonly modprobe: readonly ModprobeFact[];
  readonly caches: readonly LayerCache[];
  readonly libraries: readonly LayerLibrary[];
  readonly indexes: readonly DepmodIndex[];
}

/** Bytes taken out of each input, for the progress display; a no-op without one. */
class Tally {
  private readonly done: number[];
  constructor(
    private readonly sizes: readonly number[],
    private readonly progress: Progress | undefined,
  ) {
    this.done = sizes.map(() => 0);
    progress?.start(sizes.reduce((a, b) => a + b, 0));
  }
  /** The counter of input `i`: what it reads counts up to that input's size, no further. */
  input(i: number): Counter {
    const size = this.sizes[i] as number;
    const report = () => this.progress?.reached(this.done.reduce((a, b) => a + b, 0));
    return {
      at: (location) => this.progress?.at(location),
      read: (bytes) => {
        this.done[i] = Math.min(size, (this.done[i] as number) + bytes);
        report();
      },
      finish: () => {
        this.done[i] = size;
        report();
      },
    };
  }
}

interface Counter {
  at(location: string): void;
  read(bytes: number): void;
  finish(): void;
}

/** A source whose reads count as progress. */
class CountingSource implements ByteSource {
  readonly name: string;
  readonly size: number;
  constructor(
    private readonly inner: ByteSource,
    private readonly counter: Counter,
  ) {
    this.name = inner.name;
    this.size = inner.size;
  }
  async read(offset: number, length: number, what: string): Promise<Uint8Array> {
    const bytes = await this.inner.read(offset, length, what);
    this.counter.read(length);
    return bytes;
  }
}

const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

function certFact(c: Certificate): CertFact {
  return { subject: c.subject, issuer: c.issuer, serial: c.serial, key: c.key, ...(c.skid ? { skid: c.skid } : {}) };
}

/** A stream whose length is known in advance, into one buffer of that size (no second copy to join parts). */
async function collect(body: AsyncIterable<Uint8Array>, size: number, limit: number, what: string) {
  if (size > limit) throw new LimitError(what, 0, "file", limit, size);
  const out = new Uint8Array(size);
  let at = 0;
  for await (const part of body) {
    if (at + part.length > size) throw new FormatError(what, at, "file body", `${size} bytes`, "more");
    out.set(part, at);
    at += part.length;
  }
  if (at !== size) throw new FormatError(what, at, "file body", `${size} bytes`, `${at}`);
  return out;
}

const overlayType = (t: string): OverlayEntryType =>
  t === "file" || t === "dir" || t === "symlink" ? t : t === "hardlink" ? "file" : "other";

function squashLayer(fs: SquashFs, location: string, entries: Entries, inodes: Map<string, Inode>): LayerFiles {
  return {
    location,
    entries,
    each: async (paths, visit) => {
      for (const p of paths) {
        const inode = inodes.get(p) as Inode;
        await visit(p, await collect(fs.readFile(inode), inode.size, MAX_FILE, chainPath(location, p)));
      }
    },
  };
}

/** Walks a SquashFS held in memory and takes its facts; the bytes can go once this returns. */
async function scanSquashFs(
  name: string,
  location: string,
  bytes: Uint8Array,
  certs: readonly Certificate[] | undefined,
): Promise<LayerScan> {
  const fs = await SquashFs.open(new BufferSource(location, bytes));
  const entries: Entries = new Map();
  const inodes = new Map<string, Inode>();
  for await (const { path, inode } of fs.walk()) {
    entries.set(path, { type: inode.type, mode: inode.mode });
    if (inode.type === "file") inodes.set(path, inode);
  }
  return layerFacts(name, squashLayer(fs, location, entries, inodes), certs);
}

/** An image's own file system (or, for an extension image, its rootfs/ with the prefix dropped). */
function imageLayer(image: Image, tree: FsTree, prefix: string, counter: Counter): LayerFiles {
  const entries: Entries = new Map();
  for (const e of tree.walk(prefix || "/")) entries.set(e.path.slice(prefix.length), { type: e.type, mode: e.mode });
  return {
    location: image.file,
    entries,
    each: (paths, visit) =>
      forEachImageFile(
        image,
        tree,
        paths.map((p) => prefix + p),
        MAX_FILE,
        (p, bytes) => {
          counter.read(bytes.length);
          return visit(p.slice(prefix.length), bytes);
        },
      ),
  };
}

interface Opened {
  readonly input: ArtifactInput;
  readonly image: Image;
  readonly tree: FsTree;
  readonly kernel?: KernelFact;
  /** The kernel's certificates, with their keys, to verify module signatures with. */
  readonly certificates?: readonly Certificate[];
}

async function openArtifact(input: ArtifactInput, platform: Platform, counter: Counter): Promise<Opened> {
  counter.at(input.file);
  const image = await openImageArchive(input.file, platform);
  const tree = await flattenImage(image);
  const vmlinuz = [...tree.walk()].find(
    (e) => e.type === "file" && /^\/(usr\/install\/[^/]+|boot)\/vmlinuz[^/]*$/.test(e.path),
  );
  if (vmlinuz === undefined) return { input, image, tree };
  const bytes = await readImageFile(image, tree, vmlinuz.path, MAX_FILE);
  counter.read(bytes.length);
  const location = chainPath(input.file, vmlinuz.path);
  const k = await readKernelImage(new BufferSource(location, bytes));
  return {
    input,
    image,
    tree,
    kernel: { location, release: k.release, certs: k.certificates.map(certFact), digest: sha256(bytes) },
    certificates: k.certificates,
  };
}

async function trustOf(
  src: ByteSource,
  certs: readonly Certificate[] | undefined,
): Promise<{ trust: Trust; sig?: ModuleFact["signature"] }> {
  const sig = await readModuleSignature(src);
  if (sig === undefined) return { trust: { kind: "unsigned" } };
  const shown = modinfoSignature(sig);
  const fact = shown
    ? { signer: shown.signer, sigKey: shown.sig_key, hashAlgo: shown.sig_hashalgo }
    : // modinfo prints nothing for a `sign-file -k` signature: its key id names the signer instead.
      { signer: sig.signerId.kind === "skid" ? `key ${sig.signerId.skid}` : "", sigKey: "", hashAlgo: sig.hashAlgo };
  if (certs === undefined) return { trust: { kind: "no-kernel" }, sig: fact };
  const cert = certs.find((c) => namesCertificate(sig, c));
  if (cert === undefined) return { trust: { kind: "unknown-key" }, sig: fact };
  const ok = await verifyModuleSignature(src, sig, cert);
  return {
    trust: ok ? { kind: "trusted", cert: certFact(cert) } : { kind: "bad-signature", cert: certFact(cert) },
    sig: fact,
  };
}

// Facts in path order, whatever order the layer was read in.
const byPath = <T extends { path: string }>(a: T, b: T) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/** Modules, modprobe.d files, caches, libraries and depmod indexes of one layer, read one file at a time. */
async function layerFacts(name: string, layer: LayerFiles, certs: readonly Certificate[] | undefined) {
  const modules: ModuleFact[] = [];
  const modprobe: ModprobeFact[] = [];
  const caches: LayerCache[] = [];
  const libraries: LayerLibrary[] = [];
  const indexes: DepmodIndex[] = [];
  const wanted = (p: string) =>
    MODULE.test(p) || MODPROBE.test(p) || p.endsWith("/ld.so.cache") || LIBRARY.test(p) || DEPMOD_INDEX.test(p);
  const interesting = [...layer.entries].filter(([p, e]) => e.type === "file" && wanted(p)).map(([p]) => p);
  await layer.each(interesting, async (path, bytes) => {
    const location = chainPath(layer.location, path);
    const index = DEPMOD_INDEX.exec(path);
    if (index) {
      const text = new TextDecoder().decode(bytes);
      const kind = index[2] as "dep" | "alias";
      indexes.push({ location, layer: name, path, release: index[1] as string, kind, text });
    } else if (MODULE.test(path)) {
      const src = await moduleSource(new BufferSource(location, bytes));
      const info = await readModinfo(src);
      const { trust, sig } = await trustOf(src, certs);
      modules.push({
        location,
        layer: name,
        layerLocation: layer.location,
        path,
        name: info.name ?? path.replace(/^.*\//, "").replace(MODULE, ""),
        ...(info.vermagic !== undefined ? { vermagic: info.vermagic } : {}),
        ...(info.srcversion !== undefined ? { srcversion: info.srcversion } : {}),
        ...(info.version !== undefined ? { version: info.version } : {}),
        params: info.params,
        aliases: info.alias,
        ...(sig ? { signature: sig } : {}),
        trust,
      });
    } else if (MODPROBE.test(path)) {
      modprobe.push({ location, layer: name, path, text: new TextDecoder().decode(bytes) });
    } else if (path.endsWith("/ld.so.cache")) {
      caches.push({ layer: name, path, entries: (await readLdCache(new BufferSource(location, bytes))).entries });
    } else {
      const soname = (await readDynamicInfo(new BufferSource(location, bytes)).catch(() => undefined))?.soname;
      if (soname !== undefined) libraries.push({ layer: name, path, soname });
    }
  });
  for (const list of [modules, modprobe, caches, libraries, indexes]) list.sort(byPath);
  return { name, location: layer.location, entries: layer.entries, modules, modprobe, caches, libraries, indexes };
}

/** A layer scanned before extensions.yaml named it, under its name from there. */
function renamed(scan: LayerScan, name: string): LayerScan {
  const to = <T extends { layer: string }>(xs: readonly T[]): T[] => xs.map((x) => ({ ...x, layer: name }));
  return {
    ...scan,
    name,
    modules: to(scan.modules),
    modprobe: to(scan.modprobe),
    caches: to(scan.caches),
    libraries: to(scan.libraries),
    indexes: to(scan.indexes),
  };
}

/** The layers extensions.yaml lists, in its order; anything else in it is a format error naming the file. */
function listedLayers(text: string, location: string): { image: string; metadata: unknown }[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new FormatError(location, 0, "extensions.yaml", "YAML", (err as Error).message);
  }
  const layers = (doc as { layers?: unknown } | null)?.layers;
  if (layers === undefined || layers === null) return [];
  if (!Array.isArray(layers)) throw new FormatError(location, 0, "layers", "a list", typeof layers);
  return layers.map((l: { image?: unknown; metadata?: unknown } | null, i) => {
    if (typeof l?.image !== "string") throw new FormatError(location, 0, `layers[${i}].image`, "a file name");
    return { image: l.image, metadata: l.metadata };
  });
}

/** The installer's initramfs: rootfs.sqsh and the extension layers listed in extensions.yaml, bottom to top. */
async function initramfsLayers(
  opened: Opened,
  path: string,
  certs: readonly Certificate[] | undefined,
  counter: Counter,
): Promise<{ layers: LayerScan[]; extensions: ExtensionFact[] }> {
  const name = chainPath(opened.input.file, path);
  const inPlace = await imageFileSource(opened.image, opened.tree, path, MAX_INITRAMFS);
  const src = new CountingSource(new SliceSource(inPlace, 0, inPlace.size, name), counter);
  const scans = new Map<string, LayerScan>();
  let yaml: { text: string; location: string } | undefined;
  for (const seg of await splitInitramfs(src)) {
    for await (const { entry, body } of segmentEntries(src, seg)) {
      const location = chainPath(name, `segment ${seg.index}`, entry.name);
      if (entry.type === "file" && entry.name.endsWith(".sqsh")) {
        counter.at(location);
        const bytes = await collect(body, entry.size, MAX_SQUASHFS, location);
        scans.set(entry.name, await scanSquashFs(entry.name, location, bytes, certs));
      } else if (entry.name === "extensions.yaml") {
        yaml = { text: new TextDecoder().decode(await collect(body, entry.size, 1 << 20, location)), location };
      }
    }
  }
  const layers: LayerScan[] = [];
  const rootfs = scans.get("rootfs.sqsh");
  if (rootfs) layers.push(renamed(rootfs, "rootfs"));
  const extensions: ExtensionFact[] = [];
  for (const [i, l] of (yaml ? listedLayers(yaml.text, yaml.location) : []).entries()) {
    const scan = scans.get(l.image);
    if (scan === undefined) {
      throw new FormatError(yaml?.location ?? name, 0, `layers[${i}].image`, "a layer the initramfs carries", l.image);
    }
    const layer = renamed(scan, String((l.metadata as { name?: unknown } | undefined)?.name ?? l.image));
    layers.push(layer);
    extensions.push({
      location: scan.location,
      image: l.image,
      metadata: l.metadata,
      entries: entryList(scan.entries),
    });
  }
  return { layers, extensions };
}

const entryList = (entries: Entries): ExtensionFact["entries"] =>
  [...entries].map(([p, e]) => ({ path: p, type: e.type, mode: e.mode }));

/** The index of `kind` the merged root shows: the topmost layer's. */
function winningIndex(layers: readonly LayerScan[], kind: DepmodIndex["kind"]): DepmodIndex | undefined {
  for (const layer of [...layers].reverse()) {
    const found = layer.indexes.find((x) => x.kind === kind);
    if (found) return found;
  }
  return undefined;
}

/** `path: deps...` lines: the module paths, relative to the release directory. */
function depFact({ location, layer, release, text }: DepmodIndex): ModulesDepFact {
  const paths = text.split("\n").flatMap((l) => (l.includes(":") ? [l.slice(0, l.indexOf(":"))] : []));
  return { location, layer, release, paths };
}

/** `alias PATTERN MODULE` lines, as depmod writes one per alias= of the module it chose. */
function aliasFact({ location, layer, release, text }: DepmodIndex): ModulesAliasFact {
  const aliases = text.split("\n").flatMap((l) => {
    const words = l.trim().split(/\s+/);
    return words[0] === "alias" && words.length === 3
      ? [{ alias: words[1] as string, module: words[2] as string }]
      : [];
  });
  return { location, layer, release, aliases };
}

async function artifactFacts(
  opened: Opened,
  certs: readonly Certificate[] | undefined,
  counter: Counter,
): Promise<ArtifactFact> {
  const { input, image, tree } = opened;
  counter.at(input.file);
  let layers: LayerScan[];
  let extensions: ExtensionFact[] = [];
  const initramfs = [...tree.walk()].find(
    (e) => e.type === "file" && /^\/usr\/install\/[^/]+\/initramfs\.xz$/.test(e.path),
  );
  const manifest = tree.get("/manifest.yaml");
  if (initramfs) ({ layers, extensions } = await initramfsLayers(opened, initramfs.path, certs, counter));
  else if (manifest && tree.get("/rootfs")) {
    const text = new TextDecoder().decode(await readImageFile(image, tree, "/manifest.yaml", 1 << 20));
    const meta = (parseYaml(text) as { metadata?: { name?: unknown } } | null)?.metadata;
    const layer = await layerFacts(
      String(meta?.name ?? input.file),
      imageLayer(image, tree, "/rootfs", counter),
      certs,
    );
    layers = [layer];
    extensions = [
      {
        location: layer.location,
        image: input.file,
        metadata: meta,
        manifest: { file: chainPath(input.file, "/manifest.yaml"), text },
        entries: entryList(layer.entries),
      },
    ];
  } else layers = [await layerFacts("image", imageLayer(image, tree, "", counter), certs)];
  const dep = winningIndex(layers, "dep");
  const alias = winningIndex(layers, "alias");
  return {
    role: input.role,
    file: input.file,
    ...(image.talosVersion ? { talosVersion: image.talosVersion } : {}),
    ...(opened.kernel ? { kernel: opened.kernel } : {}),
    modules: layers.flatMap((l) => l.modules),
    extensions,
    layers: initramfs
      ? layers.map(
          (l): OverlayLayer => ({
            name: l.name,
            paths: new Map([...l.entries].map(([p, e]) => [p, overlayType(e.type)])),
          }),
        )
      : [],
    caches: layers.flatMap((l) => l.caches),
    libraries: layers.flatMap((l) => l.libraries),
    modprobe: layers.flatMap((l) => l.modprobe),
    ...(dep ? { modulesDep: depFact(dep) } : {}),
    ...(alias ? { modulesAlias: aliasFact(alias) } : {}),
  };
}

/**
 * Opens every input, picks the reference kernel (the installer's, else the first in chain order) and reads the
 * rest. `progress`, when given, hears how many of the inputs' bytes are read and where reading is.
 */
export async function loadModel(
  inputs: readonly ArtifactInput[],
  platform: Platform = DEFAULT_PLATFORM,
  progress?: Progress,
): Promise<VerifyModel> {
  const sorted = [...inputs].sort((a, b) => ROLES.indexOf(a.role) - ROLES.indexOf(b.role));
  const sizes: number[] = [];
  for (const input of sorted) {
    // A missing or unreadable input is left for the archive reader to report, in its words.
    sizes.push((await stat(input.file).catch(() => undefined))?.size ?? 0);
  }
  const tally = new Tally(sizes, progress);
  const opened: Opened[] = [];
  try {
    for (const [i, input] of sorted.entries()) opened.push(await openArtifact(input, platform, tally.input(i)));
    const withKernel = opened.filter((o) => o.kernel !== undefined);
    const ref = withKernel.find((o) => o.input.role === "installer") ?? withKernel[0];
    const artifacts: ArtifactFact[] = [];
    for (const [i, o] of opened.entries()) {
      const counter = tally.input(i);
      artifacts.push(await artifactFacts(o, ref?.certificates, counter));
      counter.finish();
    }
    return { artifacts, ...(ref?.kernel ? { kernel: ref.kernel } : {}) };
  } finally {
    progress?.end();
    for (const o of opened) await o.image.close();
  }
}
