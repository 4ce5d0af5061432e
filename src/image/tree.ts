import { FormatError } from "../errors.js";

/**
 * One file-system model for every kind of layer: container image layers, initramfs segments, SquashFS images
 * and extension overlays. A layer is a stream of entries; `flatten` stacks layers bottom to top and remembers,
 * for every path, which layer provided it and which lower layers it shadowed.
 */

export type EntryType = "file" | "dir" | "symlink" | "hardlink" | "char" | "block" | "fifo" | "socket";

export interface LayerEntry {
  /** Absolute and clean: `/usr/lib/x.so`. */
  readonly path: string;
  readonly type: EntryType;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly mtime: number;
  /** Symlink target as written, or the path a hard link points at. */
  readonly linkTarget?: string;
}

export interface Layer {
  /** Short name for listings, e.g. `0:sha256:ab12cd34` or `rootfs.sqsh`. */
  readonly id: string;
  entries(): AsyncIterable<LayerEntry>;
}

export interface FsEntry extends LayerEntry {
  /** Index (in `flatten`'s input) of the layer that provided this entry. */
  readonly layer: number;
  /** Lower layers that had an entry at this path, bottom to top. */
  readonly shadowed: readonly number[];
}

interface Node {
  entry: FsEntry;
  children: Map<string, Node>;
}

const WHITEOUT = ".wh.";
const OPAQUE = ".wh..wh..opq";

const parentOf = (path: string): string => path.slice(0, path.lastIndexOf("/")) || "/";
const baseOf = (path: string): string => path.slice(path.lastIndexOf("/") + 1);

/** The flattened tree. */
export class FsTree {
  private readonly root: Node;

  constructor(readonly layers: readonly string[]) {
    this.root = {
      entry: { path: "/", type: "dir", mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 0, layer: -1, shadowed: [] },
      children: new Map(),
    };
  }

  private node(path: string): Node | undefined {
    let n: Node | undefined = this.root;
    for (const part of path.split("/")) {
      if (part === "") continue;
      n = n?.children.get(part);
      if (n === undefined) return undefined;
    }
    return n;
  }

  get(path: string): FsEntry | undefined {
    return this.node(path)?.entry;
  }

  /** A directory's entries, sorted by name. */
  children(path: string): FsEntry[] {
    const n = this.node(path);
    return n === undefined ? [] : [...n.children.values()].map((c) => c.entry).sort(byPath);
  }

  /** Every entry except the root, depth first, names sorted. */
  *walk(from = "/"): Generator<FsEntry> {
    const start = this.node(from);
    if (start === undefined) return;
    const stack: Node[] = [...start.children.values()].sort((a, b) => byPath(b.entry, a.entry));
    while (stack.length > 0) {
      const n = stack.pop() as Node;
      yield n.entry;
      stack.push(...[...n.children.values()].sort((a, b) => byPath(b.entry, a.entry)));
    }
  }

  /** Places `entry` from layer `layer`, creating missing parents as implicit directories. */
  put(entry: LayerEntry, layer: number): void {
    if (entry.path === "/") {
      this.root.entry = { ...entry, type: "dir", layer, shadowed: [] };
      return;
    }
    const parent = this.ensureDir(parentOf(entry.path), layer);
    const name = baseOf(entry.path);
    const old = parent.children.get(name);
    const shadowed = old === undefined || old.entry.layer === layer ? [] : [...old.entry.shadowed, old.entry.layer];
    const fs: FsEntry = { ...entry, layer, shadowed };
    // A directory over a directory keeps its children and takes the new attributes.
    if (old !== undefined && old.entry.type === "dir" && entry.type === "dir") old.entry = fs;
    else parent.children.set(name, { entry: fs, children: new Map() });
  }

  private ensureDir(path: string, layer: number): Node {
    let n = this.root;
    let at = "";
    for (const part of path.split("/")) {
      if (part === "") continue;
      at += `/${part}`;
      let c = n.children.get(part);
      if (c === undefined || c.entry.type !== "dir") {
        const entry: FsEntry = {
          path: at,
          type: "dir",
          mode: 0o755,
          uid: 0,
          gid: 0,
          size: 0,
          mtime: 0,
          layer,
          shadowed: [],
        };
        c = { entry, children: new Map() };
        n.children.set(part, c);
      }
      n = c;
    }
    return n;
  }

  /** Removes `path` and its subtree if it came from a layer below `layer`. */
  whiteout(path: string, layer: number): void {
    const parent = this.node(parentOf(path));
    const c = parent?.children.get(baseOf(path));
    if (c !== undefined && c.entry.layer < layer) parent?.children.delete(baseOf(path));
  }

  /** Hides every child of `dir` that came from a layer below `layer`. */
  opaque(dir: string, layer: number): void {
    const n = this.node(dir);
    if (n === undefined) return;
    for (const [name, c] of n.children) if (c.entry.layer < layer) n.children.delete(name);
  }
}

function byPath(a: { path: string }, b: { path: string }): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

/**
 * Stacks layers bottom (index 0) to top, applying OCI whiteouts: `.wh.NAME` removes NAME from lower layers,
 * `.wh..wh..opq` hides all lower children of its directory wherever it sits in the layer; neither touches
 * entries of its own layer, and the markers never appear in the result.
 */
export async function flatten(layers: readonly Layer[]): Promise<FsTree> {
  const tree = new FsTree(layers.map((l) => l.id));
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i] as Layer;
    for await (const e of layer.entries()) {
      const name = baseOf(e.path);
      if (name === OPAQUE) tree.opaque(parentOf(e.path), i);
      else if (name.startsWith(WHITEOUT)) {
        const target = name.slice(WHITEOUT.length);
        if (target === "" || target === "." || target === "..") {
          throw new FormatError(layer.id, 0, "whiteout", "a whiteout naming an entry of its directory", e.path);
        }
        tree.whiteout(`${parentOf(e.path) === "/" ? "" : parentOf(e.path)}/${target}`, i);
      } else tree.put(e, i);
    }
  }
  return tree;
}
