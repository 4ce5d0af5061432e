/**
 * The rootfs an extension definition describes: every file at the path Talos reads it from, with the
 * directories above it, in one sorted list. Nothing is read or written here but the names in the
 * extension directory that `modules` globs match.
 */
import { readdir, stat } from "node:fs/promises";
import { basename, dirname, join, posix } from "node:path";
import { stringify } from "yaml";
import { openImageArchive } from "../formats/oci/archive.js";
import { flattenImage, readImageFile } from "../image/image-layers.js";
import { climbsOut } from "../io/path.js";
import type { ExtensionDefinition } from "./definition.js";

export type RootfsContent = { readonly file: string } | { readonly bytes: Uint8Array };

export interface RootfsEntry {
  /** Absolute inside the rootfs. */
  readonly path: string;
  readonly type: "dir" | "file" | "symlink";
  readonly mode: number;
  readonly size: number;
  readonly linkTarget?: string;
  readonly content?: RootfsContent;
  /** What in the definition put it there, for messages: `modules[0]`, `files[2]`. */
  readonly origin: string;
}

export class RootfsError extends Error {
  override readonly name = "RootfsError";
  constructor(
    readonly origin: string,
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${origin}: ${path}: ${problem}`);
  }
}

const MODULES_DIR = (release: string) => `/usr/lib/modules/${release}/extras`;
const FIRMWARE_DIR = "/usr/lib/firmware";
const MODPROBE_DIR = "/usr/local/lib/modprobe.d";
const SERVICES_DIR = "/usr/local/etc/containers";

/** Files a pattern names: a literal path, or `*` in its last part (matching nothing is not an error). */
async function expand(dir: string, pattern: string): Promise<string[]> {
  const base = basename(pattern);
  if (!base.includes("*")) return [pattern];
  const parent = dirname(pattern);
  const re = new RegExp(
    `^${base
      .split("*")
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join("[^/]*")}$`,
  );
  const names = await readdir(join(dir, parent)).catch(() => [] as string[]);
  return names
    .filter((n) => re.test(n))
    .sort()
    .map((n) => posix.join(parent, n));
}

/** A relative symlink target that climbs above the rootfs, resolved from the link's directory. */
const escapes = (linkPath: string, target: string): boolean =>
  !target.startsWith("/") && climbsOut(`${posix.dirname(linkPath)}/${target}`);

/** Files taken from image archives are read whole: they are single libraries or binaries, bounded here. */
const MAX_IMAGE_FILE = 1 << 30;

async function fromImage(origin: string, file: string, path: string, to: string, mode?: number): Promise<RootfsEntry> {
  const image = await openImageArchive(file);
  try {
    const tree = await flattenImage(image);
    const entry = tree.get(path);
    if (entry?.type !== "file" && entry?.type !== "hardlink") {
      throw new RootfsError(origin, to, `${file} has no regular file at ${path}${entry ? ` (a ${entry.type})` : ""}`);
    }
    const bytes = await readImageFile(image, tree, path, MAX_IMAGE_FILE);
    return { path: to, type: "file", mode: mode ?? entry.mode, size: bytes.length, content: { bytes }, origin };
  } finally {
    await image.close();
  }
}

export interface Rootfs {
  readonly entries: readonly RootfsEntry[];
  /** `modules` and `from` patterns that matched no file: a build that has not run yet. */
  readonly unmatched: readonly string[];
}

export async function planRootfs(def: ExtensionDefinition, dir: string): Promise<Rootfs> {
  const files: RootfsEntry[] = [];
  const unmatched: string[] = [];
  const fromDisk = async (origin: string, path: string, rel: string, mode?: number): Promise<RootfsEntry> => {
    const st = await stat(join(dir, rel)).catch(() => undefined);
    if (!st?.isFile()) throw new RootfsError(origin, path, `${rel} is not a file in ${dir}`);
    const exec = (st.mode & 0o111) !== 0;
    return {
      path,
      type: "file",
      mode: mode ?? (exec ? 0o755 : 0o644),
      size: st.size,
      content: { file: join(dir, rel) },
      origin,
    };
  };
  const text = (origin: string, path: string, body: string, mode = 0o644): RootfsEntry => {
    const bytes = Buffer.from(body);
    return { path, type: "file", mode, size: bytes.length, content: { bytes }, origin };
  };

  /** Every file `pattern` names goes into the directory `to`, under its own name. */
  const intoDir = async (origin: string, pattern: string, to: string, mode?: number): Promise<void> => {
    const matched = await expand(dir, pattern);
    if (matched.length === 0) unmatched.push(pattern);
    for (const rel of matched) files.push(await fromDisk(origin, posix.join(to, basename(rel)), rel, mode));
  };
  /** A plain `from` is the file at `to`; one with `*` in its last part fills the directory `to`. */
  const copies = async (origin: string, from: string, to: string, mode?: number): Promise<void> => {
    if (basename(from).includes("*")) await intoDir(origin, from, to, mode);
    else files.push(await fromDisk(origin, to, from, mode));
  };

  for (const [i, pattern] of def.modules.entries()) {
    await intoDir(`modules[${i}]`, pattern, MODULES_DIR(def.kernel?.release as string), 0o644);
  }
  for (const [i, fw] of def.firmware.entries()) {
    await copies(`firmware[${i}]`, fw.from, posix.join(FIRMWARE_DIR, fw.to), 0o644);
  }
  for (const [name, body] of Object.entries(def.modprobe)) {
    files.push(text(`modprobe.${name}`, `${MODPROBE_DIR}/${name}`, body));
  }
  for (const [name, spec] of Object.entries(def.services)) {
    files.push(text(`services.${name}`, `${SERVICES_DIR}/${name}.yaml`, stringify({ name, ...spec })));
  }
  for (const [i, f] of def.files.entries()) {
    const origin = `files[${i}]`;
    if ("symlink" in f) {
      if (escapes(f.to, f.symlink)) throw new RootfsError(origin, f.to, `symlink to ${f.symlink} escapes the rootfs`);
      files.push({ path: f.to, type: "symlink", mode: 0o777, size: 0, linkTarget: f.symlink, origin });
    } else if ("from" in f) {
      await copies(origin, f.from, f.to, f.mode);
    } else if ("image" in f) {
      files.push(await fromImage(origin, join(dir, f.image), f.path, f.to, f.mode));
    } else {
      files.push(text(origin, f.to, f.text, f.mode));
    }
  }

  const byPath = new Map<string, RootfsEntry>();
  for (const f of files) {
    const earlier = byPath.get(f.path);
    if (earlier) throw new RootfsError(f.origin, f.path, `also installed by ${earlier.origin}`);
    byPath.set(f.path, f);
  }
  for (const f of files) {
    for (let p = posix.dirname(f.path); p !== "/"; p = posix.dirname(p)) {
      const there = byPath.get(p);
      if (there === undefined) byPath.set(p, { path: p, type: "dir", mode: 0o755, size: 0, origin: f.origin });
      else if (there.type !== "dir")
        throw new RootfsError(f.origin, f.path, `${p} is a ${there.type} of ${there.origin}`);
    }
  }
  const entries = [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { entries, unmatched };
}
