import { parseArgs } from "node:util";
import type { CpioEntry } from "../formats/cpio/reader.js";
import { listInitramfs } from "../formats/initramfs/reader.js";
import {
  DEFAULT_PLATFORM,
  type Image,
  openImageArchive,
  type Platform,
  parsePlatform,
  platformText,
} from "../formats/oci/archive.js";
import { flattenImage, imageFileSource } from "../image/image-layers.js";
import type { EntryType, FsEntry, FsTree } from "../image/tree.js";
import { FormatError, LimitError } from "../io/errors.js";
import { EXIT_INPUT, EXIT_OK } from "../report/exit.js";
import type { Command } from "./command.js";
import { describePe, isPeImage, peLines } from "./inspect-uki.js";

/** An initramfs in a compressed layer is read into memory to be split; Talos' are tens of MiB. */
const MAX_INITRAMFS = 1 << 30;
/** A UKI carries its kernel and initramfs: the same order of size. */
const MAX_PE = 1 << 30;

const TYPE_CHAR: Record<EntryType, string> = {
  file: "-",
  dir: "d",
  symlink: "l",
  hardlink: "h",
  char: "c",
  block: "b",
  fifo: "p",
  socket: "s",
};

/** `drwxr-xr-x`, as ls writes it (`h` for a hard link, as tar -tv does), setuid/setgid/sticky as s/S, t/T. */
export function modeString(type: EntryType, mode: number): string {
  const chars = [..."rwxrwxrwx"].map((c, i) => (mode & (1 << (8 - i)) ? c : "-"));
  const special = (bit: number, at: number, on: string) => {
    if (mode & bit) chars[at] = chars[at] === "x" ? on : on.toUpperCase();
  };
  special(0o4000, 2, "s");
  special(0o2000, 5, "s");
  special(0o1000, 8, "t");
  return TYPE_CHAR[type] + chars.join("");
}

/** `index:first 12 hex digits of the digest`, the layer column. */
const layerName = (image: Image, index: number): string =>
  index < 0 ? "-" : `${index}:${(image.layers[index]?.digest ?? "").slice(7, 19)}`;

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

function entryJson(image: Image, e: FsEntry) {
  return {
    path: e.path,
    type: e.type,
    mode: e.mode,
    uid: e.uid,
    gid: e.gid,
    size: e.size,
    mtime: e.mtime,
    ...(e.linkTarget !== undefined ? { linkTarget: e.linkTarget } : {}),
    ...(e.rdev ? { rdev: e.rdev } : {}),
    ...(e.xattrs.size > 0 ? { xattrs: Object.fromEntries([...e.xattrs].map(([k, v]) => [k, hex(v)])) } : {}),
    layer: e.layer,
    layerDigest: image.layers[e.layer]?.digest ?? null,
    shadowed: e.shadowed,
    ...(e.implicit ? { implicit: true } : {}),
    ...(e.writtenAs !== undefined ? { writtenAs: e.writtenAs } : {}),
  };
}

/** One ls-like line; columns padded to the widths of the whole listing so the output lines up. */
function entryLines(image: Image, entries: readonly FsEntry[]): string[] {
  const size = (e: FsEntry) => (e.rdev ? `${e.rdev.major},${e.rdev.minor}` : String(e.size));
  const owner = (e: FsEntry) => `${e.uid}/${e.gid}`;
  const wOwner = Math.max(0, ...entries.map((e) => owner(e).length));
  const wSize = Math.max(0, ...entries.map((e) => size(e).length));
  const wLayer = Math.max(0, ...entries.map((e) => layerName(image, e.layer).length));
  return entries.map((e) => {
    const link =
      e.linkTarget === undefined ? "" : e.type === "hardlink" ? ` link to ${e.linkTarget}` : ` -> ${e.linkTarget}`;
    const notes = [
      ...(e.shadowed.length > 0 ? [`shadows ${e.shadowed.map((i) => layerName(image, i)).join(", ")}`] : []),
      ...(e.implicit ? ["implicit"] : []),
      ...(e.writtenAs !== undefined ? [`written as ${e.writtenAs}`] : []),
    ];
    return [
      modeString(e.type, e.mode),
      owner(e).padEnd(wOwner),
      size(e).padStart(wSize),
      layerName(image, e.layer).padEnd(wLayer),
      `${e.path}${link}${notes.length > 0 ? `  (${notes.join("; ")})` : ""}`,
    ].join("  ");
  });
}

function imagePlatform(image: Image): string {
  const { os, architecture, variant } = image.config;
  return os && architecture ? platformText({ os, architecture, ...(variant ? { variant } : {}) }) : "unknown";
}

function imageJson(image: Image) {
  return {
    image: image.file,
    format: image.format,
    ...(image.name !== undefined ? { name: image.name } : {}),
    platform: imagePlatform(image),
    ...(image.talosVersion !== undefined ? { talosVersion: image.talosVersion } : {}),
    labels: image.config.labels,
    env: image.config.env,
    layers: image.layers.map((l) => ({
      index: l.index,
      digest: l.digest,
      diffId: l.diffId,
      ...(l.mediaType !== undefined ? { mediaType: l.mediaType } : {}),
      size: l.size,
      compression: l.compression,
    })),
  };
}

function imageHeader(image: Image): string[] {
  const rows: [string, string][] = [
    ["image", image.file],
    ["format", image.format],
    ...(image.name !== undefined ? [["name", image.name] as [string, string]] : []),
    ["platform", imagePlatform(image)],
    ...(image.talosVersion !== undefined ? [["talos", image.talosVersion] as [string, string]] : []),
    ...image.layers.map((l): [string, string] => [
      `layer ${l.index}`,
      `${l.digest}  ${l.compression}  ${l.size} bytes`,
    ]),
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`);
}

function cpioLine(e: CpioEntry): string {
  const size = e.type === "char" || e.type === "block" ? `${e.rdevmajor},${e.rdevminor}` : String(e.size);
  const link = e.linkTarget !== undefined ? ` -> ${e.linkTarget}` : "";
  return `  ${modeString(e.type, e.mode & 0o7777)}  ${e.uid}/${e.gid}  ${size.padStart(10)}  ${e.name}${link}`;
}

async function initramfsReport(image: Image, tree: FsTree, entry: FsEntry, json: boolean): Promise<string> {
  const src = await imageFileSource(image, tree, entry.path, MAX_INITRAMFS);
  const segments = await listInitramfs(src);
  if (json) {
    return JSON.stringify({ ...imageJson(image), path: entry.path, layer: entry.layer, segments }, null, 2);
  }
  const lines = [
    ...imageHeader(image),
    "",
    `${entry.path}  ${layerName(image, entry.layer)}  ${entry.size} bytes  ${segments.length} segments`,
  ];
  for (const s of segments) {
    lines.push(
      `segment ${s.index}  ${s.compression}  offset ${s.offset}  length ${s.length}  ${s.entries.length} entries`,
    );
    for (const e of s.entries) lines.push(cpioLine(e));
  }
  return lines.join("\n");
}

/** A file named like Talos' boot assets' initramfs: `initramfs.xz`, `initramfs-amd64.xz`, `initramfs.img`. */
const isInitramfs = (path: string): boolean => /\/initramfs[^/]*$/.test(path);

/** Errors that mean the input (or the command line) is unusable, as opposed to a bug. */
function inputError(err: unknown): err is Error {
  return (
    err instanceof FormatError ||
    err instanceof LimitError ||
    err instanceof UsageError ||
    (err instanceof Error && typeof (err as NodeJS.ErrnoException).code === "string")
  );
}

class UsageError extends Error {}

function parseCommandLine(argv: string[], usage: string) {
  let values: { json?: boolean; platform?: string };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { json: { type: "boolean" }, platform: { type: "string" } },
    }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${usage}`);
  }
  const [file, path, extra] = positionals;
  if (file === undefined || extra !== undefined) throw new UsageError(usage);
  let platform: Platform | undefined;
  try {
    platform = values.platform === undefined ? undefined : parsePlatform(values.platform);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return { file, path, json: values.json === true, platform };
}

async function report(file: string, path: string | undefined, json: boolean, platform?: Platform): Promise<string> {
  const image = await openImageArchive(file, platform);
  try {
    const tree = await flattenImage(image);
    if (path === undefined) {
      const entries = [...tree.walk()];
      return json
        ? JSON.stringify({ ...imageJson(image), entries: entries.map((e) => entryJson(image, e)) }, null, 2)
        : [...imageHeader(image), "", ...entryLines(image, entries)].join("\n");
    }
    const entry = tree.get(path);
    if (entry === undefined) throw new UsageError(`${file}: no ${path} in the image`);
    if (entry.content !== undefined && isInitramfs(entry.path)) return await initramfsReport(image, tree, entry, json);
    if (entry.content !== undefined && entry.type === "file") {
      const src = await imageFileSource(image, tree, entry.path, MAX_PE);
      if (await isPeImage(src)) {
        const pe = await describePe(src);
        return json
          ? JSON.stringify({ ...imageJson(image), path: entry.path, layer: entry.layer, pe }, null, 2)
          : [...imageHeader(image), "", ...entryLines(image, [entry]), ...peLines(pe)].join("\n");
      }
    }
    const entries = [entry, ...(entry.type === "dir" ? tree.children(entry.path) : [])];
    return json
      ? JSON.stringify({ ...imageJson(image), path, entries: entries.map((e) => entryJson(image, e)) }, null, 2)
      : [...imageHeader(image), "", ...entryLines(image, entries)].join("\n");
  } finally {
    await image.close();
  }
}

export const inspect: Command = {
  name: "inspect",
  summary: "List an image archive's flattened file system, or the segments of an initramfs inside it",
  usage: [
    "Usage: talos-ext inspect IMAGE.tar [PATH] [--json] [--platform os/arch[/variant]]",
    "",
    "IMAGE.tar is a `docker save` archive (Docker <= 24, or 25+ with its OCI layout) or an OCI layout tar.",
    "Prints the image (format, platform, Talos version, layers: digest, compression, stored size), then",
    "every path of the flattened image, sorted: mode, uid/gid, size (major,minor for devices), the layer",
    "that provides it (index:digest) and the lower layers it shadows. With PATH, that entry and, for a",
    "directory, its children; for an initramfs (e.g. /usr/install/amd64/initramfs.xz), its segments",
    "(compression, offset, length) and each segment's cpio entries; for a PE image (a UKI such as",
    "/usr/install/amd64/vmlinuz.efi, or systemd-boot.efi), its sections, Authenticode signatures (signer, and",
    "whether each verifies) and its .cmdline, .uname and .osrel.",
    "",
    "  --json       one JSON document instead of text",
    `  --platform   the image to take from a multi-platform index (default ${platformText(DEFAULT_PLATFORM)});`,
    "               when given, a single-platform archive must match it",
    "",
    "Exit status: 0 listed, 2 unreadable or invalid input (the message names the file, offset and structure).",
  ].join("\n"),
  async run(argv) {
    try {
      const { file, path, json, platform } = parseCommandLine(argv, this.usage);
      process.stdout.write(`${await report(file, path, json, platform)}\n`);
      return EXIT_OK;
    } catch (err) {
      if (!inputError(err)) throw err;
      process.stderr.write(`talos-ext inspect: ${err.message}\n`);
      return EXIT_INPUT;
    }
  },
};
