/**
 * One fuzz target per reader: its seeds (real fixtures), what it knows of the format's fields, and `run`,
 * which parses the bytes the way the SDK does and reads everything the reader offers (every entry, every
 * body, every section), so that a fault anywhere in the input is reached.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { threadId } from "node:worker_threads";
import { DefinitionError, loadDefinition } from "../../src/extension/definition.js";
import { type DecompressOptions, decompressBuffer } from "../../src/formats/compress/decompress.js";
import type { Compression } from "../../src/formats/compress/magic.js";
import { readCpio } from "../../src/formats/cpio/reader.js";
import { parseDer } from "../../src/formats/der/parse.js";
import { readDynamic } from "../../src/formats/elf/dynamic.js";
import { ElfFile } from "../../src/formats/elf/file.js";
import { parseModinfo } from "../../src/formats/elf/modinfo.js";
import { readX86IsaLevel } from "../../src/formats/elf/property.js";
import { readInitramfs, splitInitramfs } from "../../src/formats/initramfs/reader.js";
import { readKernelImage } from "../../src/formats/kernel/image.js";
import { modinfoSignature, readModuleSignature } from "../../src/formats/kmod-sig/signature.js";
import { readLdCache } from "../../src/formats/ldcache/read.js";
import { openImageArchive } from "../../src/formats/oci/archive.js";
import { authenticodeDigest, readAuthenticode } from "../../src/formats/pe/authenticode.js";
import { readPeHeader } from "../../src/formats/pe/header.js";
import { readUki } from "../../src/formats/pe/uki.js";
import { SquashFs } from "../../src/formats/squashfs/reader.js";
import { readTar } from "../../src/formats/tar/reader.js";
import { walkTar } from "../../src/formats/tar/walk.js";
import { parseCertificate } from "../../src/formats/x509/certificate.js";
import type { Entry } from "../../src/image/layer.js";
import { streamedSquashfsLayer } from "../../src/image/streamed-squashfs-layer.js";
import { FormatError, LimitError } from "../../src/io/errors.js";
import { BufferSource, type ByteSource } from "../../src/io/source.js";
import { loadRepository } from "../../src/repo/load.js";
import { readPkg } from "../../src/repo/pkg.js";
import { parseShell } from "../../src/repo/shell.js";
import { renderTemplate } from "../../src/repo/template.js";
import { loadVarsFile, VarScope } from "../../src/repo/vars.js";
import { parseYaml, TextMap } from "../../src/repo/yaml.js";
import { parseManifest } from "../../src/talos/manifest.js";
import {
  cpioFields,
  derFields,
  elfFields,
  fixTarChecksums,
  kernelFields,
  ldcacheFields,
  lz4Fields,
  moduleSigFields,
  peFields,
  squashfsFields,
  tarFields,
  tarHeaders,
  zstdFields,
} from "./fields.js";
import { type Field, mutate, Rng } from "./mutator.js";
import { mutateImageJson, mutateTarMember, packTar, split } from "./oci.js";

export const ROOT = join(import.meta.dirname, "../..").replace(/\/dist$/, "");
const OUT = join(ROOT, "test/fixtures/out");
const COMMITTED = join(ROOT, "test/fixtures/committed");

export interface Seed {
  /** Where it came from, relative to the repository (with `!part` for a seed cut out of a fixture). */
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly fields: readonly Field[];
  /** Offsets of tar headers whose checksum is fixed after a mutation. */
  readonly tarHeaders?: readonly number[];
}

export interface Target {
  readonly name: string;
  readonly describe: string;
  /** The seed files; a target may also cut seeds out of them (`derive`). */
  seedFiles(): string[];
  derive?(file: string, bytes: Uint8Array): Promise<{ part: string; bytes: Uint8Array }[]>;
  fields?(bytes: Uint8Array): Field[];
  /** Text formats: the mutator also inserts syntax tokens. */
  readonly text?: boolean;
  /** Tar-based inputs: header checksums are recomputed after most mutations. */
  readonly tar?: boolean;
  /** A structure-aware mutation of the target's own, tried before the generic one. */
  custom?(bytes: Uint8Array, rng: Rng): Uint8Array | undefined;
  /** Parses the input; returns normally or throws (a FormatError or LimitError is a refusal, not a failure). */
  run(bytes: Uint8Array, name: string): Promise<void>;
}

/** Every file under `dir` (recursively) whose path matches, at most `maxSize` bytes, sorted. */
function files(dir: string, match: RegExp, maxSize = 2 << 20): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && match.test(p) && statSync(p).size <= maxSize) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/** Reads to the end (or `max` bytes: a sparse file of terabytes is read in time, not memory), dropping the bytes. */
async function drain(it: AsyncIterable<Uint8Array>, max = Number.POSITIVE_INFINITY): Promise<number> {
  let n = 0;
  for await (const c of it) {
    n += c.length;
    if (n >= max) break;
  }
  return n;
}

/** Reads cut off past this many: a reader that keeps going on a small input is looping. */
const MAX_READS = 200_000;

export class ReadLoopError extends Error {
  override readonly name = "ReadLoopError";
}

/** A buffer source that fails (untyped) past MAX_READS reads: a loop shows up as a failure, not a hang. */
function bounded(name: string, bytes: Uint8Array): ByteSource {
  const inner = new BufferSource(name, bytes);
  let reads = 0;
  return {
    name,
    size: inner.size,
    read: (offset, length, what) => {
      if (++reads > MAX_READS) throw new ReadLoopError(`more than ${MAX_READS} reads of ${name}: a loop`);
      return inner.read(offset, length, what);
    },
  };
}

const utf8 = new TextDecoder();

async function squashfsAll(src: ByteSource): Promise<void> {
  const fs = await SquashFs.open(src);
  await fs.listXattrs(await fs.root());
  let n = 0;
  let budget = 4 << 20;
  for await (const { path, inode } of fs.walk()) {
    await fs.listXattrs(inode);
    // The first 256 KiB of each file (block list, fragment and sparse blocks), 4 MiB in all: an image's
    // data read in full would make every input as slow as the largest seed.
    if (inode.type === "file" && budget > 0) budget -= await drain(fs.readFile(inode), 256 << 10);
    if (inode.type === "symlink") await fs.readlink(path);
    if (n++ % 8 === 0) {
      await fs.stat(path);
      await fs.inodeByNumber(inode.number);
    }
  }
}

/** The image as the verifier streams one it does not hold: twice from the start, in 64 KiB chunks. */
async function squashfsStreamed(bytes: Uint8Array, name: string): Promise<void> {
  const stream = async function* () {
    for (let at = 0; at < bytes.length; at += 1 << 16) yield bytes.subarray(at, at + (1 << 16));
  };
  const layer = await streamedSquashfsLayer(stream, bytes.length, 64 << 20, {
    id: name,
    kind: "squashfs",
    description: name,
  });
  const files: Entry[] = [];
  for await (const e of layer.entries()) if (e.type === "file") files.push(e);
  let budget = 4 << 20;
  for await (const { body } of layer.contents(files)) {
    if (budget <= 0) break;
    try {
      budget -= await drain(body, 256 << 10);
    } catch (err) {
      // One file that cannot be read does not end the others, as in verify.
      if (!(err instanceof FormatError || err instanceof LimitError)) throw err;
    }
  }
}

async function elfAll(src: ByteSource): Promise<void> {
  const elf = await ElfFile.open(src);
  for (const s of elf.sections) await elf.sectionData(s);
  for (const p of elf.segments) await elf.segmentData(p);
  const modinfo = elf.section(".modinfo");
  if (modinfo !== undefined) parseModinfo(await elf.sectionData(modinfo));
  await readDynamic(elf);
  if (elf.header.machine === 62) await readX86IsaLevel(elf);
}

async function decompressTarget(
  kind: Compression,
  bytes: Uint8Array,
  name: string,
  backend: Omit<DecompressOptions, "name">,
): Promise<void> {
  await decompressBuffer(kind, bytes, { name, maxOutput: 64 << 20, ...backend });
}

/** Initramfs segments of one compression, cut out of the initramfs fixtures: real streams of every decoder. */
function segmentsOf(kind: Compression | "none") {
  return async (_file: string, bytes: Uint8Array) => {
    const out: { part: string; bytes: Uint8Array }[] = [];
    try {
      for (const [i, s] of (await splitInitramfs(new BufferSource("seed", bytes))).entries()) {
        if (s.compression === kind)
          out.push({ part: `segment ${i}`, bytes: bytes.slice(s.offset, s.offset + s.length) });
      }
    } catch {
      // the bad-input fixtures: whatever split before the fault
    }
    return out;
  };
}

const initramfsFiles = () => files(join(OUT, "initramfs"), /\.img$/);

/** The signed modules: the nvidia fixtures and the signed-modules area. */
const signedModules = () => [
  ...files(join(OUT, "extension"), /nvidia\.(a|vermagic)\.ko$/),
  ...files(join(OUT, "signed-modules"), /\.ko$/, 1 << 20).slice(0, 6),
];

const MARKER = new TextEncoder().encode("~Module signature appended~\n");

/** The PKCS#7 blob of a signed module. */
function modulePkcs7(bytes: Uint8Array): Uint8Array | undefined {
  const tail = bytes.subarray(bytes.length - MARKER.length);
  if (!tail.every((x, i) => x === MARKER[i])) return undefined;
  const info = bytes.length - MARKER.length - 12;
  const len = new DataView(bytes.buffer, bytes.byteOffset).getUint32(info + 8, false);
  return bytes.slice(info - len, info);
}

const certFiles = () => [
  ...files(COMMITTED, /signing_key\.x509$/),
  ...files(join(OUT, "extension"), /\.der$/),
  ...files(join(OUT, "uki"), /\.der$/),
];

const textFiles = (match: RegExp) => [
  ...files(join(ROOT, "extensions"), match, 256 << 10),
  ...files(join(ROOT, "test/repo/fixtures"), match, 256 << 10),
  ...files(join(ROOT, "test/talos/fixtures"), match, 256 << 10),
  ...files(join(ROOT, "templates"), match, 256 << 10),
  ...files(join(OUT, "repo"), match, 256 << 10),
];

const REPO_FIXTURES = join(ROOT, "test/repo/fixtures/clean");

const dirs = (d: string): string[] =>
  existsSync(d)
    ? readdirSync(d, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => join(d, e.name))
        .sort()
    : [];

/** The clean repository fixture as a tar, with a fault's `tree/` laid over it when `dir` is a fault. */
function repoTar(dir: string): Uint8Array {
  const tree = new Map<string, Uint8Array>();
  const add = (base: string) => {
    for (const f of files(base, /./, 1 << 20)) tree.set(relative(base, f), new Uint8Array(readFileSync(f)));
  };
  add(REPO_FIXTURES);
  if (dir !== REPO_FIXTURES) add(join(dir, "tree"));
  return packTar([...tree].map(([name, data]) => ({ name, data })));
}

const vars = { get: (name: string) => (name === "MISSING" ? undefined : `value-of-${name}`) };

const SEEDS = join(ROOT, "test/fuzz/seeds");

/** Each decoder, with the native backend (where there is one) and the pure-JavaScript one. */
const compressors: [string, Compression, RegExp, Omit<DecompressOptions, "name">][] = [
  ["gzip", "gzip", /\.gz$/, {}],
  ["zstd", "zstd", /\.zst$/, { zstd: "native" }],
  ["zstd-js", "zstd", /\.zst$/, { zstd: "fzstd" }],
  ["xz", "xz", /\.xz$/, {}],
  ["lz4-frame", "lz4-frame", /\.lz4$/, { lz4: "native" }],
  ["lz4-frame-js", "lz4-frame", /\.lz4$/, { lz4: "js" }],
  ["lz4-legacy", "lz4-legacy", /\.lz4l$/, { lz4: "native" }],
  ["lz4-legacy-js", "lz4-legacy", /\.lz4l$/, { lz4: "js" }],
];

const compressorFields = (kind: Compression) =>
  kind === "zstd" ? zstdFields : kind === "lz4-frame" || kind === "lz4-legacy" ? lz4Fields : undefined;

const imageFiles = () =>
  files(
    join(OUT, "image"),
    /\/(oci-plain|oci-gzip|oci-zstd|docker24|docker25|legacy|multi|oci-mixed|bad-[a-z-]+)\.tar$/,
    1 << 20,
  );

export const TARGETS: readonly Target[] = [
  {
    name: "tar",
    describe: "tar: the random-access index (walkTar) and the stream reader (readTar) with every body",
    seedFiles: () => [
      ...imageFiles(),
      ...files(join(OUT, "installer"), /(extension|modules)\.tar$/, 1 << 20).slice(0, 2),
    ],
    fields: tarFields,
    tar: true,
    async run(bytes, name) {
      for await (const _ of walkTar(bounded(name, bytes))) void _;
      for await (const { body } of readTar(once(bytes), name)) await drain(body);
    },
  },
  {
    name: "oci",
    describe: "image archives: index.json, manifests, configs, Docker's manifest.json, and every layer's tar",
    seedFiles: () => imageFiles().filter((f) => !/bad-(bomb|truncated)/.test(f)),
    fields: tarFields,
    tar: true,
    custom: (b, rng) => (rng.chance(0.6) ? mutateImageJson(b, rng) : undefined),
    async run(bytes, name) {
      // The archive reader opens a path: the input goes to a file of this worker's own.
      const path = join(tmpdir(), `talos-ext-fuzz-${process.pid}-${threadId}.tar`);
      await writeFile(path, bytes);
      try {
        const image = await openImageArchive(path);
        try {
          for (const layer of image.layers) {
            for await (const { body } of readTar(layer.open(), `${name}!layer ${layer.index}`)) await drain(body);
          }
        } finally {
          await image.close();
        }
      } finally {
        await rm(path, { force: true });
      }
    },
  },
  ...compressors.map(
    ([name, kind, ext, backend]): Target => ({
      name,
      describe: `the ${name} decoder (decompressStream): seeds by the real tool, and initramfs segments`,
      seedFiles: () => [...files(SEEDS, ext), ...initramfsFiles()],
      derive: async (file, bytes) => (file.startsWith(SEEDS) ? [{ part: "", bytes }] : segmentsOf(kind)(file, bytes)),
      ...(compressorFields(kind) ? { fields: compressorFields(kind) } : {}),
      run: (bytes, file) => decompressTarget(kind, bytes, file, backend),
    }),
  ),
  {
    name: "cpio",
    describe: "cpio newc and crc archives, every body read (and the crc checked)",
    seedFiles: () => [...files(join(OUT, "cpio"), /\.cpio$/), ...initramfsFiles()],
    // The uncompressed segments of the initramfs fixtures are small archives of their own.
    derive: async (file, bytes) => (file.endsWith(".cpio") ? [{ part: "", bytes }] : segmentsOf("none")(file, bytes)),
    fields: (b) => cpioFields(b),
    async run(bytes, name) {
      for await (const m of readCpio([bytes], name)) await drain(m.body());
    },
  },
  {
    name: "initramfs",
    describe: "initramfs splitting (NUL padding, cpio and compressed segments) and every segment's entries",
    seedFiles: initramfsFiles,
    fields: (b) => cpioFields(b, b.indexOf(0x30)),
    async run(bytes, name) {
      for await (const { entry } of readInitramfs(bounded(name, bytes))) await drain(entry.body());
    },
  },
  {
    name: "squashfs",
    describe: "SquashFS: superblock, id/fragment/export/xattr tables, inodes, directories, symlinks, file data",
    seedFiles: () => files(join(OUT, "squashfs"), /\.sqsh$/, 3 << 20),
    fields: squashfsFields,
    run: (bytes, name) => squashfsAll(bounded(name, bytes)),
  },
  {
    name: "squashfs-stream",
    describe: "SquashFS read as a stream: tables kept from the first pass, each file's runs from the second",
    seedFiles: () => files(join(OUT, "squashfs"), /\.sqsh$/, 3 << 20),
    fields: squashfsFields,
    run: (bytes, name) => squashfsStreamed(bytes, name),
  },
  {
    name: "elf",
    describe: "ELF: header, section and program headers, every section, .modinfo, the dynamic section, ISA level",
    seedFiles: () => [
      ...files(join(OUT, "elf"), /\.(so|ko)$/),
      ...files(join(OUT, "extension"), /nvidia\.unsigned\.ko$/),
    ],
    fields: elfFields,
    run: (bytes, name) => elfAll(bounded(name, bytes)),
  },
  {
    name: "modinfo",
    describe: ".modinfo strings (parseModinfo)",
    seedFiles: () => files(join(OUT, "elf/modinfo"), /\.bin$/),
    text: true,
    async run(bytes) {
      parseModinfo(bytes);
    },
  },
  {
    name: "kmod-sig",
    describe: "the module signature trailer and its PKCS#7 (readModuleSignature, as modinfo prints it)",
    seedFiles: signedModules,
    // Only the trailer matters: the module's last 8 KiB keep the mutations where the reader looks.
    derive: async (_f, bytes) => [{ part: "tail", bytes: bytes.slice(Math.max(0, bytes.length - 8192)) }],
    fields: moduleSigFields,
    async run(bytes, name) {
      const sig = await readModuleSignature(bounded(name, bytes));
      if (sig !== undefined) modinfoSignature(sig);
    },
  },
  {
    name: "der",
    describe: "the strict DER walk on certificates and module PKCS#7 signatures",
    seedFiles: () => [...certFiles(), ...signedModules()],
    derive: async (file, bytes) => {
      const p7 = modulePkcs7(bytes);
      return p7 !== undefined
        ? [{ part: "pkcs7", bytes: p7 }]
        : /\.(x509|der)$/.test(file)
          ? [{ part: "der", bytes }]
          : [];
    },
    fields: (b) => derFields(b),
    async run(bytes, name) {
      const walk = (d: ReturnType<typeof parseDer>): void => {
        for (const c of d.children) walk(c);
      };
      walk(parseDer(bytes, name));
    },
  },
  {
    name: "x509",
    describe: "X.509 certificates (parseCertificate: names, serial, key, SKID)",
    seedFiles: certFiles,
    fields: (b) => derFields(b),
    async run(bytes, name) {
      parseCertificate(bytes, name);
    },
  },
  {
    name: "kernel",
    describe: "kernel images: bzImage setup header and payload, zboot, the certificates and IKCONFIG inside",
    seedFiles: () => files(COMMITTED, /\/(vmlinuz|vmlinuz-gzip|vmlinuz-lz4|vmlinuz\.efi|vmlinuz-gzip\.efi)$/),
    fields: kernelFields,
    async run(bytes, name) {
      await readKernelImage(bounded(name, bytes));
    },
  },
  {
    name: "pe",
    describe: "PE/UKI: headers, sections, the UKI's text sections, Authenticode signatures and digest",
    seedFiles: () => [...files(join(OUT, "uki"), /\.efi$/, 4 << 20), ...files(COMMITTED, /vmlinuz\.efi$/)],
    fields: peFields,
    async run(bytes, name) {
      const src = bounded(name, bytes);
      const header = await readPeHeader(src);
      for (const sig of await readAuthenticode(src, header)) void sig;
      await authenticodeDigest(src, header, "sha256");
      try {
        await readUki(src);
      } catch (err) {
        // An EFI binary that is not a UKI (no .linux) is refused, typed, like any other fault.
        if (!(err instanceof FormatError)) throw err;
      }
    },
  },
  {
    name: "ldcache",
    describe: "ld.so.cache in the old, new and compat layouts, with the extension directory",
    seedFiles: () => files(join(OUT, "ldcache"), /\.cache$/, 1 << 20),
    fields: ldcacheFields,
    async run(bytes, name) {
      await readLdCache(bounded(name, bytes));
    },
  },
  {
    name: "template",
    describe: "the bldr template interpreter (renderTemplate) on the repository's templates",
    seedFiles: () => textFiles(/\.(tmpl|yaml)$/),
    text: true,
    async run(bytes) {
      renderTemplate(utf8.decode(bytes), vars);
    },
  },
  {
    name: "manifest",
    describe: "extension manifest.yaml (parseManifest)",
    seedFiles: () => textFiles(/manifest\.yaml(\.tmpl)?$|talos\/fixtures\/.*\.yaml$/),
    text: true,
    async run(bytes, name) {
      parseManifest(utf8.decode(bytes), name);
    },
  },
  {
    name: "extension-yaml",
    describe: "the SDK's extension.yaml (loadDefinition: YAML, then the schema, each problem at its line)",
    seedFiles: () => textFiles(/\/extension\.yaml$/),
    text: true,
    async run(bytes) {
      const dir = join(tmpdir(), `talos-ext-fuzz-${process.pid}-${threadId}`);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, "extension.yaml"), bytes);
      try {
        await loadDefinition(dir);
      } catch (err) {
        // The definition reader's refusal: every problem with its line, column and key.
        if (!(err instanceof DefinitionError)) throw err;
      }
    },
  },
  {
    name: "repo",
    describe: "an extensions repository (loadRepository: walk, vars, templates, pkg.yaml, manifests, .kres.yaml)",
    // The input is a tar of the tree: the clean fixture, and the clean fixture with each fault's files.
    seedFiles: () => [REPO_FIXTURES, ...dirs(join(REPO_FIXTURES, "../faults"))],
    derive: async (dir) => [{ part: "tree", bytes: repoTar(dir) }],
    custom: (b, rng) => mutateTarMember(b, rng, (data) => mutate(data, new Rng(rng.u32()), { text: true })),
    async run(bytes) {
      const parts = split(bytes);
      if (parts === undefined) return;
      const root = join(tmpdir(), `talos-ext-fuzz-repo-${process.pid}-${threadId}`);
      await rm(root, { recursive: true, force: true });
      try {
        for (const m of parts.members) {
          // Only plain relative names: the fuzzer's archive must not write outside its directory.
          if (!/^[A-Za-z0-9._+-]+(\/[A-Za-z0-9._+-]+)*$/.test(m.name) || m.name.split("/").includes("..")) continue;
          const path = join(root, m.name);
          await mkdir(dirname(path), { recursive: true });
          await writeFile(path, m.data).catch(() => undefined);
        }
        await mkdir(root, { recursive: true });
        await loadRepository(root);
      } finally {
        await rm(root, { recursive: true, force: true });
      }
    },
  },
  {
    name: "pkg-yaml",
    describe: "pkg.yaml, vars.yaml and other repository YAML (parseYaml, readPkg, loadVarsFile) and shell steps",
    seedFiles: () => textFiles(/\/(pkg|vars|variant|extension|\.kres)\.yaml$/),
    text: true,
    async run(bytes, name) {
      const text = utf8.decode(bytes);
      const map = new TextMap(name, text);
      const parsed = parseYaml(map);
      if ("doc" in parsed) {
        const pkg = readPkg(parsed.doc, map);
        for (const s of pkg.scripts ?? []) parseShell(s.text);
      }
      loadVarsFile(name, text, new VarScope(new Map()));
    },
  },
];

export const targetNamed = (name: string): Target | undefined => TARGETS.find((t) => t.name === name);

/** The seeds of a target: its files, or the parts it cuts out of them, each with the fields it knows. */
export async function loadSeeds(t: Target): Promise<Seed[]> {
  const out: Seed[] = [];
  for (const file of t.seedFiles()) {
    const bytes = statSync(file).isDirectory() ? new Uint8Array() : new Uint8Array(readFileSync(file));
    const parts = t.derive ? await t.derive(file, bytes) : [{ part: "", bytes }];
    for (const p of parts) {
      if (p.bytes.length === 0) continue;
      const name = `${relative(ROOT, file)}${p.part ? `!${p.part}` : ""}`;
      const fields = t.fields?.(p.bytes) ?? [];
      out.push({ name, bytes: p.bytes, fields, ...(t.tar ? { tarHeaders: tarHeaders(p.bytes) } : {}) });
    }
  }
  return out.sort((a, b) => a.bytes.length - b.bytes.length || (a.name < b.name ? -1 : 1));
}

/** The input of one iteration: a seed picked and mutated, both by `rng` alone. */
export function makeInput(t: Target, seeds: readonly Seed[], rng: Rng): { seed: Seed; bytes: Uint8Array } {
  // Small seeds run fast: half the picks are among the smallest quarter.
  const seed = rng.chance(0.5) ? (seeds[rng.below(Math.ceil(seeds.length / 4))] as Seed) : rng.pick(seeds);
  const other = rng.pick(seeds);
  let bytes = t.custom?.(seed.bytes, rng);
  if (bytes === undefined || rng.chance(0.3)) {
    bytes = mutate(bytes ?? seed.bytes, rng, {
      fields: seed.fields,
      ...(t.text ? { text: true } : {}),
      other: other.bytes,
    });
    if (seed.tarHeaders !== undefined && rng.chance(0.8)) fixTarChecksums(bytes, seed.tarHeaders);
  }
  return { seed, bytes };
}

export type Outcome =
  | { readonly kind: "parsed" }
  | { readonly kind: "typed"; readonly error: string }
  | { readonly kind: "failure"; readonly error: string };

/**
 * What one input did: parsed, refused with a FormatError or LimitError that names the file and a valid
 * offset, or failed (any other exception, or a typed error without a usable place).
 */
export async function runOne(t: Target, bytes: Uint8Array, name: string): Promise<Outcome> {
  try {
    await t.run(bytes, name);
    return { kind: "parsed" };
  } catch (err) {
    if (err instanceof FormatError || err instanceof LimitError) {
      const place =
        typeof err.file === "string" && err.file !== "" && Number.isSafeInteger(err.offset) && err.offset >= 0;
      if (place) return { kind: "typed", error: err.message };
      return { kind: "failure", error: `${err.name} without a file and offset: ${err.stack}` };
    }
    const e = err as Error;
    return { kind: "failure", error: `${e?.name ?? typeof err}: ${e?.stack ?? String(err)}` };
  }
}

export const sha1 = (b: Uint8Array): string => createHash("sha1").update(b).digest("hex");
