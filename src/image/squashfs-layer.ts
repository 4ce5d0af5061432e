import type { Inode, SquashFs } from "../formats/squashfs/reader.js";
import type { Entry, Layer, LayerContent, LayerKind } from "./layer.js";

const NO_XATTRS: ReadonlyMap<string, Uint8Array> = new Map();

async function layerEntry(fs: SquashFs, path: string, inode: Inode): Promise<Entry> {
  return {
    path,
    // SquashFS has no hard-link entries: paths that share an inode are each a file with the same `at`.
    type: inode.type,
    mode: inode.mode,
    uid: inode.uid,
    gid: inode.gid,
    size: inode.type === "file" ? inode.size : 0,
    mtime: inode.mtime,
    ...(inode.symlinkTarget !== undefined ? { linkTarget: inode.symlinkTarget } : {}),
    ...(inode.rdevMajor !== undefined ? { rdev: { major: inode.rdevMajor, minor: inode.rdevMinor ?? 0 } } : {}),
    xattrs: inode.xattrIndex === undefined ? NO_XATTRS : await fs.listXattrs(inode),
    at: inode.ref,
  };
}

/**
 * A SquashFS image (a Talos rootfs.sqsh, an extension's .sqsh) as a Layer: entries in the image's directory
 * order with the root's attributes first, `at` the inode reference; content is read by inode, in place.
 */
export function squashfsLayer(fs: SquashFs, id: string, kind: LayerKind, description: string): Layer {
  return {
    id,
    kind,
    description,
    async *entries() {
      yield await layerEntry(fs, "/", await fs.root());
      for await (const { path, inode } of fs.walk()) yield await layerEntry(fs, path, inode);
    },
    async *contents(wanted: readonly Entry[]): AsyncGenerator<LayerContent> {
      for (const entry of [...wanted].sort((a, b) => a.at - b.at)) {
        const inode = await fs.inode(entry.at);
        yield { entry, body: fs.readFile(inode), stored: () => fs.storedFile(inode) };
      }
    },
  };
}
