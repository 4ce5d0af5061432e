/**
 * Builds an extension: its container image (`/manifest.yaml` + `/rootfs/...`, one uncompressed layer, saved
 * as a tar that is both an OCI layout and a docker-archive) and the SquashFS layer Talos' imager makes of its
 * rootfs. Everything is written into a fresh folder inside the output directory, checked there by the
 * verifier's checks, and moved into place only when nothing at error level was found.
 */
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import { checks } from "../../verify/checks/index.js";
import { vermagic } from "../../verify/checks/vermagic.js";
import { loadModel } from "../../verify/load.js";
import type { KernelFact } from "../../verify/model.js";
import { writeImageArchive } from "../formats/oci/write.js";
import { writeSquashfs } from "../formats/squashfs/writer.js";
import { type TarMember, writeTar } from "../formats/tar/write.js";
import type { Entry } from "../image/layer.js";
import { sourceDateEpoch } from "../io/source-date-epoch.js";
import { runChecks, type VerifyResult } from "../report/check.js";
import { type Finding, sortFindings } from "../report/finding.js";
import type { ExtensionDefinition } from "./definition.js";
import { planRootfs, type RootfsEntry } from "./rootfs.js";

export interface BuildOptions {
  /** The extension directory: `from` paths and module globs are relative to it. */
  readonly dir: string;
  /** Where the image archive and SquashFS go (created if missing). */
  readonly outDir: string;
  /** An installer-base (or kernel) image archive whose kernel must trust the modules. */
  readonly checkChain?: string;
  /** Seconds since the epoch for every timestamp; SOURCE_DATE_EPOCH, else 0. */
  readonly epoch?: number;
}

export interface BuildResult {
  readonly image: string;
  readonly squashfs: string;
  readonly ref: string;
  readonly manifestDigest: string;
  readonly layerDigest: string;
  /** Findings below error level, and module globs that matched nothing. */
  readonly findings: readonly Finding[];
  readonly unmatched: readonly string[];
}

/** The build was refused: the findings say why; nothing was written. */
export class BuildRefused extends Error {
  override readonly name = "BuildRefused";
  constructor(readonly result: VerifyResult) {
    super(
      `refused: ${result.findings
        .filter((f) => f.severity === "error")
        .map((f) => `${f.code} ${f.message}`)
        .join("; ")}`,
    );
  }
}

/** What Talos' imager labels every file of an extension layer with (mksquashfs -xattrs-add security.selinux=…). */
const EXTENSION_LABEL = Buffer.from("system_u:object_r:system_extension_t:s0\0");

function body(e: RootfsEntry): () => Iterable<Uint8Array> | AsyncIterable<Uint8Array> {
  const c = e.content;
  if (c === undefined) return () => [];
  return "bytes" in c ? () => [c.bytes] : () => createReadStream(c.file);
}

export async function buildExtension(def: ExtensionDefinition, opts: BuildOptions): Promise<BuildResult> {
  const epoch = opts.epoch ?? sourceDateEpoch() ?? 0;
  const { entries, unmatched } = await planRootfs(def, opts.dir);
  const manifest = Buffer.from(stringify({ version: "v1alpha1", metadata: def.manifest }));
  const ref = `${def.image}:${def.manifest.version}`;
  const base = def.manifest.name;

  await mkdir(opts.outDir, { recursive: true });
  const work = await mkdtemp(join(opts.outDir, `.${base}.build-`));
  try {
    const layer = join(work, "layer.tar");
    const members: TarMember[] = [
      { name: "manifest.yaml", type: "file", mode: 0o644, size: manifest.length, body: () => [manifest] },
      { name: "rootfs", type: "dir", mode: 0o755, size: 0 },
      ...entries.map(
        (e): TarMember => ({
          name: `rootfs${e.path}`,
          type: e.type,
          mode: e.mode,
          size: e.size,
          ...(e.linkTarget === undefined ? {} : { linkTarget: e.linkTarget }),
          body: body(e),
        }),
      ),
    ];
    const layerTar = await writeTar(layer, members, epoch);
    const image = join(work, `${base}.tar`);
    const written = await writeImageArchive(
      image,
      { path: layer, ...layerTar },
      {
        ref,
        os: "linux",
        architecture: def.arch,
        created: epoch,
      },
    );
    await rm(layer);

    const squashfs = join(work, `${base}.sqsh`);
    const labels = new Map([["security.selinux", EXTENSION_LABEL]]);
    const sqEntries = [{ path: "/", type: "dir" as const, mode: 0o755, size: 0 }, ...entries].map(
      (e): Entry => ({
        path: e.path,
        type: e.type,
        mode: e.mode,
        uid: 0,
        gid: 0,
        size: e.size,
        mtime: epoch,
        xattrs: labels,
        at: -1,
        ...("linkTarget" in e && e.linkTarget !== undefined ? { linkTarget: e.linkTarget } : {}),
      }),
    );
    const contents = new Map(entries.map((e) => [e.path, e]));
    await writeSquashfs(
      {
        name: `${opts.dir} (rootfs)`,
        entries: () => sqEntries,
        open: (e) => body(contents.get(e.path) as RootfsEntry)(),
      },
      squashfs,
      { compressor: "zstd", level: 18, allRoot: true, mtime: epoch },
    );

    const outImage = join(opts.outDir, `${base}.tar`);
    // Findings name the image where it will be, not the folder it is checked in.
    const result = renamed(await check(image, def, opts.checkChain), image, outImage);
    if (result.findings.some((f) => f.severity === "error") || result.inputErrors.length > 0) {
      throw new BuildRefused(result);
    }
    const outSquashfs = join(opts.outDir, `${base}.sqsh`);
    await rename(image, outImage);
    await rename(squashfs, outSquashfs);
    return {
      image: outImage,
      squashfs: outSquashfs,
      ref,
      manifestDigest: written.manifestDigest,
      layerDigest: written.layerDigest,
      findings: result.findings,
      unmatched,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function renamed(result: VerifyResult, from: string, to: string): VerifyResult {
  const fix = (s: string) => s.split(from).join(to);
  return {
    findings: result.findings.map((f) => ({
      ...f,
      artifact: fix(f.artifact),
      message: fix(f.message),
      ...(f.path === undefined ? {} : { path: fix(f.path) }),
    })),
    inputErrors: result.inputErrors.map((e) => ({ artifact: fix(e.artifact), message: fix(e.message) })),
  };
}

/**
 * The verifier's checks over the image about to be written, with the chain's kernel when given; without one,
 * modules are still held to the definition's kernel release.
 */
async function check(image: string, def: ExtensionDefinition, chain: string | undefined): Promise<VerifyResult> {
  const inputs = [
    { role: "extension" as const, file: image },
    ...(chain === undefined ? [] : [{ role: "installer-base" as const, file: chain }]),
  ];
  const loaded = await loadModel(inputs);
  // Path rules are per Talos release: without an installer's, the oldest release the manifest accepts.
  const oldest = /v?\d+\.\d+\.\d+[^\s,]*/.exec(def.manifest.compatibility.talos.version)?.[0];
  const model = loaded.artifacts.some((a) => a.talosVersion !== undefined)
    ? loaded
    : {
        ...loaded,
        artifacts: loaded.artifacts.map((a) => (a.role === "extension" ? { ...a, talosVersion: oldest } : a)),
      };
  const result = await runChecks(checks, model);
  if (model.kernel !== undefined || def.kernel === undefined) return result;
  const declared: KernelFact = {
    location: "extension.yaml kernel.release",
    release: def.kernel.release,
    certs: [],
    digest: "",
    enforcement: { kind: "unknown", why: "the extension names a kernel release, not a kernel" },
  };
  const release = await runChecks([vermagic], { ...model, kernel: declared });
  return { ...result, findings: sortFindings([...result.findings, ...release.findings]) };
}
