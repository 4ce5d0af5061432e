import { parseArgs } from "node:util";
import { listInitramfs } from "../formats/initramfs/index.js";
import { DEFAULT_PLATFORM, type Image, openImageArchive, parsePlatform } from "../formats/oci/archive.js";
import { flattenImage, readImageFile } from "../image/image-layers.js";
import type { FsEntry, FsTree } from "../image/tree.js";
import { BufferSource } from "../io/source.js";
import { type Command, EXIT_INPUT, EXIT_OK } from "./command.js";

/** An initramfs is read whole into memory to split it; Talos' are tens of MiB. */
const MAX_INITRAMFS = 1 << 30;

const TYPE_CHAR: Record<FsEntry["type"], string> = {
  file: "-",
  dir: "d",
  symlink: "l",
  hardlink: "h",
  char: "c",
  block: "b",
  fifo: "p",
  socket: "s",
};

/** `drwxr-xr-x`, as ls writes it, with setuid, setgid and sticky bits as s/S and t/T. */
export function modeString(type: FsEntry["type"], mode: number): string {
  const bits = "rwxrwxrwx";
  const chars = [...bits].map((c, i) => (mode & (1 << (8 - i)) ? c : "-"));
  const special = (bit: number, at: number, on: string) => {
    if (mode & bit) chars[at] = chars[at] === "x" ? on : on.toUpperCase();
  };
  special(0o4000, 2, "s");
  special(0o2000, 5, "s");
  special(0o1000, 8, "t");
  return TYPE_CHAR[type] + chars.join("");
}

function layerName(image: Image, index: number): string {
  return index < 0 ? "-" : `${index}:${(image.layers[index]?.digest ?? "").slice(7, 19)}`;
}

function entryJson(image: Image, e: FsEntry) {
  return {
    path: e.path,
    type: e.type,
    mode: e.mode,
    uid: e.uid,
    gid: e.gid,
    size: e.size,
    ...(e.linkTarget !== undefined ? { linkTarget: e.linkTarget } : {}),
    layer: layerName(image, e.layer),
    shadowed: e.shadowed.map((i) => layerName(image, i)),
  };
}

function entryLine(image: Image, e: FsEntry): string {
  const link =
    e.linkTarget === undefined ? "" : e.type === "hardlink" ? ` link to ${e.linkTarget}` : ` -> ${e.linkTarget}`;
  const shadows = e.shadowed.length > 0 ? `  (shadows ${e.shadowed.map((i) => layerName(image, i)).join(", ")})` : "";
  return `${modeString(e.type, e.mode)} ${`${e.uid}/${e.gid}`.padEnd(9)} ${String(e.size).padStart(10)}  ${layerName(image, e.layer).padEnd(14)} ${e.path}${link}${shadows}`;
}

async function initramfsReport(image: Image, tree: FsTree, path: string, json: boolean): Promise<string> {
  const bytes = await readImageFile(image, tree, path, MAX_INITRAMFS);
  const segments = await listInitramfs(new BufferSource(`${image.file}!${path}`, bytes));
  if (json) return JSON.stringify({ path, segments }, null, 2);
  const lines = [`${path}: ${segments.length} segment(s)`];
  for (const s of segments) {
    lines.push(
      `segment ${s.index}: ${s.compression}, offset ${s.offset}, ${s.length} bytes, ${s.entries.length} entries`,
    );
    for (const e of s.entries) lines.push(`  ${e.name}  ${e.size}`);
  }
  return lines.join("\n");
}

const isInitramfs = (path: string): boolean => /\/initramfs[^/]*$/.test(path);

export const inspect: Command = {
  name: "inspect",
  summary: "List an image archive's flattened file system, or the segments of an initramfs inside it",
  usage: [
    "Usage: talos-ext inspect IMAGE.tar [PATH] [--json] [--platform os/arch[/variant]]",
    "",
    "IMAGE.tar is a `docker save` archive (legacy or Docker 25+) or an OCI layout tar.",
    "Without PATH, lists every path of the flattened image: mode, uid/gid, size, the layer that provides it",
    "(index:digest) and the lower layers it shadows. With PATH, that entry and a directory's children; for an",
    "initramfs (e.g. /usr/install/amd64/initramfs.xz), its segments with compression, offset, length and entries.",
    "",
    "  --json       one JSON document instead of text",
    `  --platform   the platform to pick from a multi-platform index (default ${DEFAULT_PLATFORM.os}/${DEFAULT_PLATFORM.architecture})`,
  ].join("\n"),
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { json: { type: "boolean", default: false }, platform: { type: "string" } },
    });
    const [file, path, extra] = positionals;
    if (file === undefined || extra !== undefined) {
      process.stderr.write(`${this.usage}\n`);
      return EXIT_INPUT;
    }
    const image = await openImageArchive(file, values.platform ? parsePlatform(values.platform) : DEFAULT_PLATFORM);
    try {
      const tree = await flattenImage(image);
      let out: string;
      if (path === undefined) {
        const entries = [...tree.walk()];
        out = values.json
          ? JSON.stringify(
              {
                image: file,
                layers: image.layers.map((l) => l.digest),
                entries: entries.map((e) => entryJson(image, e)),
              },
              null,
              2,
            )
          : entries.map((e) => entryLine(image, e)).join("\n");
      } else {
        const entry = tree.get(path);
        if (entry === undefined) throw new Error(`${file}: no ${path} in the image`);
        if (entry.type === "file" && isInitramfs(path)) out = await initramfsReport(image, tree, path, values.json);
        else {
          const entries = [entry, ...(entry.type === "dir" ? tree.children(path) : [])];
          out = values.json
            ? JSON.stringify(
                entries.map((e) => entryJson(image, e)),
                null,
                2,
              )
            : entries.map((e) => entryLine(image, e)).join("\n");
        }
      }
      process.stdout.write(`${out}\n`);
      return EXIT_OK;
    } finally {
      await image.close();
    }
  },
};
