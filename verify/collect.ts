/**
 * An artifact's facts, from the layers it carries: an installer's initramfs (rootfs.sqsh and the extension
 * layers in extensions.yaml order, bottom to top), an extension image's rootfs/ with its manifest, or any
 * other image's file system as one layer.
 *
 * Memory: the initramfs is read in place from its layer when the layer is stored uncompressed. A SquashFS
 * inside a segment is held while it is walked when it is at most MAX_HELD; a larger one is streamed twice
 * (src/image/streamed-squashfs-layer): once for its tables, held while it is walked, and once for the wanted
 * files' bytes, each held until its facts are taken. Nothing is written to disk. Modules are judged once the reference kernel is read (./load.ts).
 */
import { splitInitramfs } from "../src/formats/initramfs/reader.js";
import { SquashFs } from "../src/formats/squashfs/reader.js";
import { readImageFile } from "../src/image/image-layers.js";
import { segmentFiles } from "../src/image/initramfs-layer.js";
import type { Entry, Layer } from "../src/image/layer.js";
import { squashfsLayer } from "../src/image/squashfs-layer.js";
import { streamedSquashfsLayer } from "../src/image/streamed-squashfs-layer.js";
import { FormatError } from "../src/io/errors.js";
import { BufferSource, type ByteSource } from "../src/io/source.js";
import { chainPath } from "../src/report/finding.js";
import { parseManifest } from "../src/talos/manifest.js";
import { depmodFacts } from "./depmod.js";
import { listedLayers } from "./extensions-yaml.js";
import { collect, treeLayer } from "./layers.js";
import { type ArtifactFact, type ExtensionFact, FIRMWARE_PATH } from "./model.js";
import type { Judge, ReadModule } from "./modules.js";
import type { Opened } from "./open.js";
import type { VerifyPool } from "./pool.js";
import { type Counter, CountingSource } from "./progress.js";
import { type LayerScan, renamed, scanLayer } from "./scan.js";

/**
 * Bounds for what is held whole: a SquashFS image in a segment (a larger one is streamed twice), a streamed
 * image's tables (inodes, directories, ...), extensions.yaml.
 */
const MAX_HELD = 32 << 20;
const MAX_TABLES = 1 << 30;
const MAX_LISTING = 1 << 20;

type SqshNames = Parameters<typeof streamedSquashfsLayer>[3];

/** A streamed member's second pass: its body, once the segment is decoded again. */
interface Replay {
  body?: AsyncIterable<Uint8Array>;
}

/**
 * A SquashFS member of a segment as a layer: one this small is held, and read in place; a larger one is
 * streamed (its tables held now, its files' bytes taken from `replay` when the segment is decoded again).
 */
async function sqshLayer(
  entry: Entry,
  body: AsyncIterable<Uint8Array>,
  names: SqshNames,
): Promise<{ layer: Layer; replay?: Replay }> {
  const { id, kind, description } = names;
  if (entry.size <= MAX_HELD) {
    const sqsh = new BufferSource(description, await collect(body, entry.size, MAX_HELD, description));
    return { layer: squashfsLayer(await SquashFs.open(sqsh), id, kind, description) };
  }
  const replay: Replay = {};
  let first: AsyncIterable<Uint8Array> | undefined = body;
  const stream = () => {
    const pass = first ?? replay.body;
    first = undefined;
    if (pass === undefined) throw new Error(`${description}: read again before the segment is decoded again`);
    return pass;
  };
  return { layer: await streamedSquashfsLayer(stream, entry.size, MAX_TABLES, names), replay };
}

interface Layers {
  readonly layers: readonly LayerScan[];
  readonly extensions: readonly ExtensionFact[];
  /** Firmware files the initramfs itself carries. */
  readonly firmware?: readonly string[];
}

/** The installer's initramfs: rootfs.sqsh and the extension layers listed in extensions.yaml, bottom to top. */
async function initramfsLayers(
  initramfs: ByteSource,
  pool: VerifyPool,
  counter: Counter,
  judge: Judge,
): Promise<Layers> {
  const name = initramfs.name;
  const src = new CountingSource(initramfs, counter);
  const scans = new Map<string, LayerScan>();
  let yaml: { text: string; location: string } | undefined;
  const firmware: string[] = [];
  const wanted = (p: string) => p.endsWith(".sqsh") || p === "/extensions.yaml" || FIRMWARE_PATH.test(p);
  const streamed = new Map<number, { member: string; location: string; layer: Layer; replay: Replay }>();
  for (const seg of await splitInitramfs(src)) {
    for await (const { entry, body } of segmentFiles(src, seg, wanted)) {
      if (FIRMWARE_PATH.test(entry.path)) {
        firmware.push(entry.path);
        continue;
      }
      // The member's name as the imager wrote it, without the root the layer model gives it.
      const member = entry.path.slice(1);
      const location = chainPath(name, `segment ${seg.index}`, member);
      if (entry.path === "/extensions.yaml") {
        yaml = { text: new TextDecoder().decode(await collect(body, entry.size, MAX_LISTING, location)), location };
        continue;
      }
      counter.at(location);
      const kind = member === "rootfs.sqsh" ? "squashfs" : "extension";
      const { layer, replay } = await sqshLayer(entry, body, { id: member, kind, description: location });
      if (replay === undefined) scans.set(member, await scanLayer(member, layer, pool, judge));
      else streamed.set(entry.at, { member, location, layer, replay });
    }
    // The streamed members' files, all in one more decode of the segment, however many there are.
    if (streamed.size === 0) continue;
    for await (const { entry, body } of segmentFiles(initramfs, seg, (p) => p.endsWith(".sqsh"))) {
      const s = streamed.get(entry.at);
      if (s === undefined) continue;
      counter.at(s.location);
      s.replay.body = body;
      scans.set(s.member, await scanLayer(s.member, s.layer, pool, judge));
    }
    streamed.clear();
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
    layers.push(renamed(scan, l.manifest?.metadata.name || l.image));
    extensions.push({
      location: scan.location,
      image: l.image,
      ...(l.manifest ? { manifest: l.manifest } : {}),
      issues: l.issues,
      entries: scan.entries,
    });
  }
  return { layers, extensions, firmware: firmware.sort() };
}

/** An extension image: its rootfs/ as the one layer, named by its manifest. */
async function extensionImageLayers(opened: Opened, pool: VerifyPool, counter: Counter, judge: Judge): Promise<Layers> {
  const { input, image, tree } = opened;
  const manifestFile = chainPath(input.file, "/manifest.yaml");
  const text = new TextDecoder().decode(await readImageFile(image, tree, "/manifest.yaml", MAX_LISTING));
  const { manifest, issues } = parseManifest(text, manifestFile);
  const layer = await scanLayer(
    manifest?.metadata.name || input.file,
    treeLayer(tree, "/rootfs", "extension", input.file, counter),
    pool,
    judge,
  );
  const extension = {
    location: layer.location,
    image: input.file,
    ...(manifest ? { manifest } : {}),
    issues,
    manifestFile,
    entries: layer.entries,
  };
  return { layers: [layer], extensions: [extension] };
}

/** An artifact's facts, its modules read but not judged, and its kernel still being read. */
export type ReadArtifact = Omit<ArtifactFact, "modules" | "kernel"> & { readonly modules: readonly ReadModule[] };

export async function artifactFacts(
  opened: Opened,
  pool: VerifyPool,
  counter: Counter,
  judge: Judge,
): Promise<ReadArtifact> {
  const { input, image, tree } = opened;
  counter.at(input.file);
  const { initramfs } = opened;
  let read: Layers;
  if (initramfs) read = await initramfsLayers(initramfs, pool, counter, judge);
  else if (tree.get("/manifest.yaml") && tree.get("/rootfs"))
    read = await extensionImageLayers(opened, pool, counter, judge);
  else {
    // Any other image: its flattened file system, read as one image layer.
    const layer = treeLayer(tree, "", "image-layer", input.file, counter);
    read = { layers: [await scanLayer("image", layer, pool, judge)], extensions: [] };
  }
  const { layers, extensions, firmware } = read;
  return {
    role: input.role,
    file: input.file,
    ...(image.talosVersion ? { talosVersion: image.talosVersion } : {}),
    ...(opened.boot ? { boot: opened.boot } : {}),
    modules: layers.flatMap((l) => l.modules),
    firmware: firmware ?? [],
    extensions,
    // Only an installer stacks layers into an overlay.
    layers: initramfs ? layers.map(({ name, entries }) => ({ name, entries })) : [],
    caches: layers.flatMap((l) => l.caches),
    libraries: layers.flatMap((l) => l.libraries),
    modprobe: layers.flatMap((l) => l.modprobe),
    services: layers.flatMap((l) => l.services),
    objects: layers.flatMap((l) => l.objects),
    scripts: layers.flatMap((l) => l.scripts),
    pathFiles: layers.flatMap((l) => l.pathFiles),
    faults: layers.flatMap((l) => l.faults),
    ...depmodFacts(layers),
  };
}
