/**
 * Reads one to five artifacts into the verify model: image archives are flattened, an installer's initramfs is
 * split into its segments, the rootfs and every extension SquashFS are walked in the order extensions.yaml
 * gives, and every module, modprobe.d file, ld.so.cache and library is turned into facts. Each SquashFS is held
 * in memory while it is read (it sits inside a compressed stream); nothing is written to disk.
 */
import { createHash } from "node:crypto";
import { parse as parseYaml } from "yaml";
import type { LayerCache, LayerLibrary, OverlayEntryType, OverlayLayer } from "../src/extension/overlay.js";
import { readDynamicInfo } from "../src/formats/elf/dynamic.js";
import { readModinfo } from "../src/formats/elf/modinfo.js";
import { segmentEntries, splitInitramfs } from "../src/formats/initramfs/index.js";
import { readKernelImage } from "../src/formats/kernel/index.js";
import { namesCertificate, readModuleSignature, verifyModuleSignature } from "../src/formats/kmod-sig/index.js";
import { moduleSource } from "../src/formats/kmod-sig/module-source.js";
import { readLdCache } from "../src/formats/ldcache/read.js";
import { DEFAULT_PLATFORM, type Image, openImageArchive, type Platform } from "../src/formats/oci/archive.js";
import { type Inode, SquashFs } from "../src/formats/squashfs/reader.js";
import type { Certificate } from "../src/formats/x509/index.js";
import { flattenImage, forEachImageFile, readImageFile } from "../src/image/image-layers.js";
import type { FsTree } from "../src/image/tree.js";
import { BufferSource } from "../src/io/source.js";
import { chainPath } from "./finding.js";
import type {
  ArtifactFact,
  CertFact,
  ExtensionFact,
  KernelFact,
  ModprobeFact,
  ModuleFact,
  ModulesDepFact,
  Role,
  Trust,
  VerifyModel,
} from "./model.js";
import { ROLES } from "./model.js";

export interface ArtifactInput {
  readonly role: Role;
  readonly file: string;
}

/** Bounds for what is read whole: an initramfs, a SquashFS inside it, a kernel, one module, one small file. */
const MAX_INITRAMFS = 2 * 2 ** 30;
const MAX_FILE = 1 << 30;

const MODULE = /\.ko(\.(xz|zst|gz))?$/;
const MODPROBE = /^\/(usr\/local\/lib|usr\/lib|lib|etc)\/modprobe\.d\/[^/]+\.conf$/;
const LIBRARY = /\/lib[^/]*\.so(\.[0-9.]+)?$/;

/** Something that can hand out the files of one layer. */
interface LayerFiles {
  readonly name: string;
  readonly location: string;
  /** Path (absolute, in the layer) to type and mode. */
  readonly entries: Map<string, { type: OverlayEntryType | string; mode: number }>;
  /** Calls `visit` with each file's content, in whatever order reads the layer fastest. */
  each(paths: readonly string[], visit: (path: string, bytes: Uint8Array) => Promise<void>): Promise<void>;
}

const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

function certFact(c: Certificate): CertFact {
  return { subject: c.subject, issuer: c.issuer, serial: c.serial, key: c.key, ...(c.skid ? { skid: c.skid } : {}) };
}

async function collect(body: AsyncIterable<Uint8Array>, limit: number, what: string): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const p of body) {
    size += p.length;
    if (size > limit) throw new Error(`${what} is larger than ${limit} bytes`);
    parts.push(p);
  }
  return Buffer.concat(parts);
}

const overlayType = (t: string): OverlayEntryType =>
  t === "file" || t === "dir" || t === "symlink" ? t : t === "hardlink" ? "file" : "other";

async function squashLayer(name: string, location: string, bytes: Uint8Array): Promise<LayerFiles> {
  const fs = await SquashFs.open(new BufferSource(location, bytes));
  const entries = new Map<string, { type: string; mode: number }>();
  const inodes = new Map<string, Inode>();
  for await (const { path, inode } of fs.walk()) {
    entries.set(path, { type: inode.type, mode: inode.mode });
    inodes.set(path, inode);
  }
  return {
    name,
    location,
    entries,
    each: async (paths, visit) => {
      for (const p of paths)
        await visit(p, await collect(fs.readFile(inodes.get(p) as Inode), MAX_FILE, `${location}!${p}`));
    },
  };
}

/** An image's own file system (or, for an extension image, its rootfs/ with the prefix dropped). */
function imageLayer(image: Image, tree: FsTree, name: string, prefix: string): LayerFiles {
  const entries = new Map<string, { type: string; mode: number }>();
  for (const e of tree.walk(prefix || "/")) entries.set(e.path.slice(prefix.length), { type: e.type, mode: e.mode });
  return {
    name,
    location: image.file,
    entries,
    each: (paths, visit) =>
      forEachImageFile(
        image,
        tree,
        paths.map((p) => prefix + p),
        MAX_FILE,
        (p, bytes) => visit(p.slice(prefix.length), bytes),
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

async function openArtifact(input: ArtifactInput, platform: Platform): Promise<Opened> {
  const image = await openImageArchive(input.file, platform);
  const tree = await flattenImage(image);
  const vmlinuz = [...tree.walk()].find(
    (e) => e.type === "file" && /^\/(usr\/install\/[^/]+|boot)\/vmlinuz[^/]*$/.test(e.path),
  );
  if (vmlinuz === undefined) return { input, image, tree };
  const bytes = await readImageFile(image, tree, vmlinuz.path, MAX_FILE);
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
  src: BufferSource,
  certs: readonly Certificate[] | undefined,
): Promise<{ trust: Trust; sig?: ModuleFact["signature"] }> {
  const sig = await readModuleSignature(src);
  if (sig === undefined) return { trust: { kind: "unsigned" } };
  const fact = {
    signer: sig.signer ?? (sig.signerId.kind === "skid" ? `key ${sig.signerId.skid}` : ""),
    sigKey: sig.sigKey ?? "",
    hashAlgo: sig.hashAlgo,
  };
  if (certs === undefined) return { trust: { kind: "no-kernel" }, sig: fact };
  const cert = certs.find((c) => namesCertificate(sig, c));
  if (cert === undefined) return { trust: { kind: "unknown-key" }, sig: fact };
  const ok = await verifyModuleSignature(src, sig, cert);
  return {
    trust: ok ? { kind: "trusted", cert: certFact(cert) } : { kind: "bad-signature", cert: certFact(cert) },
    sig: fact,
  };
}

/** Modules, modprobe.d files, caches and libraries of one layer. */
async function layerFacts(layer: LayerFiles, certs: readonly Certificate[] | undefined) {
  const modules: ModuleFact[] = [];
  const modprobe: ModprobeFact[] = [];
  const caches: LayerCache[] = [];
  const libraries: LayerLibrary[] = [];
  const interesting = [...layer.entries]
    .filter(
      ([p, e]) =>
        e.type === "file" && (MODULE.test(p) || MODPROBE.test(p) || p.endsWith("/ld.so.cache") || LIBRARY.test(p)),
    )
    .map(([p]) => p);
  await layer.each(interesting, async (path, bytes) => {
    const location = chainPath(layer.location, path);
    if (MODULE.test(path)) {
      const src = (await moduleSource(new BufferSource(location, bytes))) as BufferSource;
      const info = await readModinfo(src);
      const { trust, sig } = await trustOf(src, certs);
      modules.push({
        location,
        layer: layer.name,
        path,
        name: info.name ?? path.replace(/^.*\//, "").replace(MODULE, ""),
        ...(info.vermagic !== undefined ? { vermagic: info.vermagic } : {}),
        ...(info.srcversion !== undefined ? { srcversion: info.srcversion } : {}),
        ...(info.version !== undefined ? { version: info.version } : {}),
        params: info.params,
        ...(sig ? { signature: sig } : {}),
        trust,
      });
    } else if (MODPROBE.test(path)) {
      modprobe.push({ location, layer: layer.name, path, text: new TextDecoder().decode(bytes) });
    } else if (path.endsWith("/ld.so.cache")) {
      caches.push({ layer: layer.name, path, entries: (await readLdCache(new BufferSource(location, bytes))).entries });
    } else {
      const soname = (await readDynamicInfo(new BufferSource(location, bytes)).catch(() => undefined))?.soname;
      if (soname !== undefined) libraries.push({ layer: layer.name, path, soname });
    }
  });
  // Facts in path order, whatever order the layer was read in.
  const byPath = <T extends { path: string }>(a: T, b: T) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  modules.sort(byPath);
  modprobe.sort(byPath);
  caches.sort(byPath);
  libraries.sort(byPath);
  return { modules, modprobe, caches, libraries };
}

function modulesDep(layers: readonly LayerFiles[], texts: Map<string, string>): ModulesDepFact | undefined {
  for (const layer of [...layers].reverse()) {
    for (const path of layer.entries.keys()) {
      const m = /^\/usr\/lib\/modules\/([^/]+)\/modules\.dep$/.exec(path);
      const text = texts.get(`${layer.name}\0${path}`);
      if (m && text !== undefined) {
        const paths = text.split("\n").flatMap((l) => (l.includes(":") ? [l.slice(0, l.indexOf(":"))] : []));
        return { location: chainPath(layer.location, path), layer: layer.name, release: m[1] as string, paths };
      }
    }
  }
  return undefined;
}

/** The installer's initramfs: rootfs.sqsh and the extension layers listed in extensions.yaml. */
async function initramfsLayers(
  opened: Opened,
  path: string,
): Promise<{ layers: LayerFiles[]; extensions: ExtensionFact[] }> {
  const bytes = await readImageFile(opened.image, opened.tree, path, MAX_INITRAMFS);
  const src = new BufferSource(chainPath(opened.input.file, path), bytes);
  const sqsh = new Map<string, { bytes: Uint8Array; location: string }>();
  let yamlText: string | undefined;
  let yamlLocation = "";
  for (const seg of await splitInitramfs(src)) {
    for await (const { entry, body } of segmentEntries(src, seg)) {
      const location = chainPath(src.name, `segment ${seg.index}`, entry.name);
      if (entry.type === "file" && entry.name.endsWith(".sqsh"))
        sqsh.set(entry.name, { bytes: await collect(body, MAX_INITRAMFS, location), location });
      else if (entry.name === "extensions.yaml") {
        yamlText = new TextDecoder().decode(await collect(body, 1 << 20, location));
        yamlLocation = location;
      }
    }
  }
  const layers: LayerFiles[] = [];
  const rootfs = sqsh.get("rootfs.sqsh");
  if (rootfs) layers.push(await squashLayer("rootfs", rootfs.location, rootfs.bytes));
  const extensions: ExtensionFact[] = [];
  const listed =
    ((yamlText ? parseYaml(yamlText) : undefined) as { layers?: { image?: string; metadata?: unknown }[] } | undefined)
      ?.layers ?? [];
  for (const [i, l] of listed.entries()) {
    const image = String(l.image ?? "");
    const part = sqsh.get(image);
    if (part === undefined)
      throw new Error(`${yamlLocation}: layer ${i} names ${image}, which the initramfs does not carry`);
    const name = String((l.metadata as { name?: unknown } | undefined)?.name ?? image);
    const layer = await squashLayer(name, part.location, part.bytes);
    layers.push(layer);
    extensions.push({
      location: part.location,
      image,
      metadata: l.metadata,
      entries: [...layer.entries].map(([p, e]) => ({ path: p, type: e.type, mode: e.mode })),
    });
  }
  return { layers, extensions };
}

async function artifactFacts(opened: Opened, certs: readonly Certificate[] | undefined): Promise<ArtifactFact> {
  const { input, image, tree } = opened;
  let layers: LayerFiles[];
  let extensions: ExtensionFact[] = [];
  const initramfs = [...tree.walk()].find(
    (e) => e.type === "file" && /^\/usr\/install\/[^/]+\/initramfs\.xz$/.test(e.path),
  );
  const manifest = tree.get("/manifest.yaml");
  if (initramfs) ({ layers, extensions } = await initramfsLayers(opened, initramfs.path));
  else if (manifest && tree.get("/rootfs")) {
    const text = new TextDecoder().decode(await readImageFile(image, tree, "/manifest.yaml", 1 << 20));
    const meta = (parseYaml(text) as { metadata?: { name?: unknown } } | null)?.metadata;
    const layer = imageLayer(image, tree, String(meta?.name ?? input.file), "/rootfs");
    layers = [layer];
    extensions = [
      {
        location: chainPath(input.file, "/manifest.yaml"),
        image: input.file,
        metadata: meta,
        manifest: { file: chainPath(input.file, "/manifest.yaml"), text },
        entries: [...layer.entries].map(([p, e]) => ({ path: p, type: e.type, mode: e.mode })),
      },
    ];
  } else layers = [imageLayer(image, tree, "image", "")];
  const facts = await Promise.all(layers.map((l) => layerFacts(l, certs)));
  const texts = new Map<string, string>();
  for (const l of layers) {
    const deps = [...l.entries.keys()].filter((p) => /\/modules\.dep$/.test(p));
    await l.each(deps, async (p, bytes) => {
      texts.set(`${l.name}\0${p}`, new TextDecoder().decode(bytes));
    });
  }
  const dep = modulesDep(layers, texts);
  return {
    role: input.role,
    file: input.file,
    ...(image.talosVersion ? { talosVersion: image.talosVersion } : {}),
    ...(opened.kernel ? { kernel: opened.kernel } : {}),
    modules: facts.flatMap((f) => f.modules),
    extensions,
    layers: initramfs
      ? layers.map(
          (l): OverlayLayer => ({
            name: l.name,
            paths: new Map([...l.entries].map(([p, e]) => [p, overlayType(e.type)])),
          }),
        )
      : [],
    caches: facts.flatMap((f) => f.caches),
    libraries: facts.flatMap((f) => f.libraries),
    modprobe: facts.flatMap((f) => f.modprobe),
    ...(dep ? { modulesDep: dep } : {}),
  };
}

/** Opens every input, picks the reference kernel (the installer's, else the first in chain order) and reads the rest. */
export async function loadModel(
  inputs: readonly ArtifactInput[],
  platform: Platform = DEFAULT_PLATFORM,
): Promise<VerifyModel> {
  const sorted = [...inputs].sort((a, b) => ROLES.indexOf(a.role) - ROLES.indexOf(b.role));
  const opened: Opened[] = [];
  try {
    for (const input of sorted) opened.push(await openArtifact(input, platform));
    const withKernel = opened.filter((o) => o.kernel !== undefined);
    const ref = withKernel.find((o) => o.input.role === "installer") ?? withKernel[0];
    const artifacts: ArtifactFact[] = [];
    for (const o of opened) artifacts.push(await artifactFacts(o, ref?.certificates));
    return { artifacts, ...(ref?.kernel ? { kernel: ref.kernel } : {}) };
  } finally {
    for (const o of opened) await o.image.close();
  }
}
