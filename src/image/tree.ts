import { FormatError } from "../io/errors.js";
import { MAX_SYMLINKS, resolveSync } from "../io/symlink.js";
import type { Entry, Layer } from "./layer.js";

export type { Entry, EntryType, Layer, LayerContent, LayerKind } from "./layer.js";

/** The layer entry whose body holds a file's bytes. */
export interface ContentRef {
  /** Index of the layer, in `flatten`'s input. */
  readonly layer: number;
  readonly entry: Entry;
}

export interface FsEntry extends Entry {
  /** Index (in `flatten`'s input) of the layer that provided this entry; -1 for a root no layer names. */
  readonly layer: number;
  /** Lower layers whose entry at this path this one replaced, bottom to top; a whiteout ends the chain. */
  readonly shadowed: readonly number[];
  /** A directory no layer has an entry for, made because entries below it needed it (as Docker makes it). */
  readonly implicit?: true;
  /** The path the layer wrote, when a symlinked parent directory from a lower layer placed it elsewhere. */
  readonly writtenAs?: string;
  /**
   * Regular files and hard links to them: where the bytes are. A hard link keeps the content its target had
   * when the link's layer was applied, even if a later layer replaces or deletes the target. A hard link's
   * `size` is that content's.
   */
  readonly content?: ContentRef;
}

interface Node {
  entry: FsEntry;
  /** Directories only. */
  children?: Map<string, Node>;
}

const WHITEOUT = ".wh.";
const OPAQUE = ".wh..wh..opq";

const NO_XATTRS: ReadonlyMap<string, Uint8Array> = new Map();

function implicitDir(path: string, layer: number): FsEntry {
  return {
    path,
    type: "dir",
    mode: 0o755,
    uid: 0,
    gid: 0,
    size: 0,
    mtime: 0,
    xattrs: NO_XATTRS,
    at: -1,
    layer,
    shadowed: [],
    implicit: true,
  };
}

const join = (dir: string, name: string): string => (dir === "/" ? `/${name}` : `${dir}/${name}`);
const byName = (a: [string, Node], b: [string, Node]): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** Where an entry of one layer is being applied, for errors. */
interface Applying {
  readonly layer: number;
  readonly entry: Entry;
}

/**
 * The flattened tree: one node per path, each remembering the layer that provided it, the lower layers it
 * replaced and where its content is. Only metadata is held; content streams from its layer on request.
 */
export class FsTree {
  private readonly root: Node = { entry: implicitDir("/", -1), children: new Map() };

  constructor(readonly layers: readonly Layer[]) {}

  private fail(at: Applying, structure: string, expected: string, found?: string): FormatError {
    const layer = this.layers[at.layer];
    return new FormatError(
      layer?.description ?? "layer",
      at.entry.at,
      `${structure} ${at.entry.path}`,
      expected,
      found,
    );
  }

  /**
   * The directory node `parts` leads to, following symlinks met on the way (kept inside the tree, as Docker
   * and umoci resolve a member's parent directories against the layers below). With `creating`, missing
   * directories are made implicit directories of that layer; without, a missing one gives undefined.
   */
  private dir(parts: readonly string[], creating?: Applying): { node: Node; path: string } | undefined {
    const found = resolveSync<Node>(this.root, parts, { followLast: true }, ({ dir, dirPath, name }) => {
      const child = dir.children?.get(name);
      if (child?.entry.type === "symlink") return { node: child, symlink: child.entry.linkTarget ?? "" };
      if (creating === undefined) return child?.children === undefined ? undefined : { node: child };
      if (child === undefined) {
        const made = { entry: implicitDir(join(dirPath, name), creating.layer), children: new Map() };
        dir.children?.set(name, made);
        return { node: made };
      }
      if (child.children === undefined) {
        throw this.fail(
          creating,
          "parent of",
          `a directory at ${join(dirPath, name)}`,
          `a ${child.entry.type} from layer ${child.entry.layer}`,
        );
      }
      return { node: child };
    });
    if (found.kind === "loop" && creating) {
      throw this.fail(creating, "path of", `at most ${MAX_SYMLINKS} symlinks`, "a symlink loop");
    }
    return found.kind === "found" ? found : undefined;
  }

  /** The node at `path`, parent symlinks followed, the last component not (lstat). */
  private node(path: string): Node | undefined {
    const parts = path.split("/").filter((p) => p !== "");
    const name = parts.pop();
    if (name === undefined) return this.root;
    return this.dir(parts)?.node.children?.get(name);
  }

  /** The entry at `path` as lstat sees it: symlinks in the parent directories followed, the last not. */
  get(path: string): FsEntry | undefined {
    return this.node(path)?.entry;
  }

  /** A directory's entries, sorted by name. */
  children(path: string): FsEntry[] {
    return [...(this.node(path)?.children ?? [])].sort(byName).map(([, n]) => n.entry);
  }

  /** Every entry below `from` (not `from` itself), depth first, names sorted at each level. */
  *walk(from = "/"): Generator<FsEntry> {
    const start = this.node(from);
    if (start?.children === undefined) return;
    const stack = [...start.children].sort(byName).reverse();
    while (stack.length > 0) {
      const [, n] = stack.pop() as [string, Node];
      yield n.entry;
      if (n.children) stack.push(...[...n.children].sort(byName).reverse());
    }
  }

  /** Applies one entry of layer `layer`: a whiteout, an opaque marker, or an entry to place. */
  apply(entry: Entry, layer: number): void {
    const at: Applying = { layer, entry };
    const parts = entry.path.split("/").filter((p) => p !== "");
    const name = parts.pop();
    if (name === undefined) this.putRoot(entry, at);
    // Docker ignores AUFS metadata (/.wh..wh.plnk, /.wh..wh.aufs, /.wh..wh.orph) at the root.
    else if (entry.path.startsWith(`/${WHITEOUT}${WHITEOUT}`) && entry.path !== `/${OPAQUE}`) return;
    else if (name === OPAQUE) this.opaque(parts, at);
    else if (name.startsWith(WHITEOUT)) this.whiteout(parts, name.slice(WHITEOUT.length), at);
    else this.put(parts, name, at);
  }

  private put(parts: readonly string[], name: string, at: Applying): void {
    const { entry, layer } = at;
    const parent = this.dir(parts, at) as { node: Node; path: string };
    const path = join(parent.path, name);
    const old = parent.node.children?.get(name);
    const shadowed =
      old === undefined
        ? []
        : old.entry.layer === layer
          ? old.entry.shadowed
          : [...old.entry.shadowed, old.entry.layer];
    const placed: FsEntry = {
      ...entry,
      path,
      layer,
      shadowed,
      ...(path !== entry.path ? { writtenAs: entry.path } : {}),
      ...this.contentOf(entry, at),
    };
    if (old?.children !== undefined && entry.type === "dir") old.entry = placed;
    else parent.node.children?.set(name, { entry: placed, ...(entry.type === "dir" ? { children: new Map() } : {}) });
  }

  private putRoot(entry: Entry, at: Applying): void {
    if (entry.type !== "dir") throw this.fail(at, "root", "a directory", `a ${entry.type}`);
    const old = this.root.entry;
    const shadowed = old.layer < 0 || old.layer === at.layer ? old.shadowed : [...old.shadowed, old.layer];
    this.root.entry = { ...entry, layer: at.layer, shadowed };
  }

  /** A regular file's own body, or the body a hard link's target holds now. */
  private contentOf(entry: Entry, at: Applying): { content?: ContentRef; size?: number } {
    if (entry.type === "file") return { content: { layer: at.layer, entry } };
    if (entry.type !== "hardlink") return {};
    const target = this.node(entry.linkTarget ?? "/");
    if (target === undefined || target.children !== undefined) {
      throw this.fail(
        at,
        "hard link",
        `an existing file at ${entry.linkTarget}`,
        target ? "a directory" : "nothing (not in this or a lower layer)",
      );
    }
    const content = target.entry.content;
    return content ? { content, size: content.entry.size } : {};
  }

  /** `.wh.NAME`: removes NAME (and what is below it) as lower layers left it; this layer's own NAME stays. */
  private whiteout(parts: readonly string[], name: string, at: Applying): void {
    if (name === "" || name === "." || name === "..") {
      throw this.fail(at, "whiteout", "`.wh.` followed by a name in its directory", JSON.stringify(name));
    }
    const parent = this.dir(parts)?.node;
    const victim = parent?.children?.get(name);
    if (parent === undefined || victim === undefined) return;
    if (victim.entry.layer < at.layer) parent.children?.delete(name);
    else this.hideLower(victim, at.layer);
  }

  /** `.wh..wh..opq`: hides everything lower layers put in the directory, wherever the marker sits in the layer. */
  private opaque(parts: readonly string[], at: Applying): void {
    const dir = this.dir(parts, at) as { node: Node };
    for (const child of [...(dir.node.children?.values() ?? [])]) this.hideLower(child, at.layer, dir.node);
  }

  /**
   * Removes what layers below `layer` put at `n` and below. An entry of `layer` itself stays, without its
   * shadow chain; a lower directory that holds entries of `layer` stays as an implicit directory of it.
   */
  private hideLower(n: Node, layer: number, parent?: Node): void {
    for (const child of [...(n.children?.values() ?? [])]) this.hideLower(child, layer, n);
    const name = n.entry.path.slice(n.entry.path.lastIndexOf("/") + 1);
    if (n.entry.layer === layer) n.entry = { ...n.entry, shadowed: [] };
    else if (n.children !== undefined && n.children.size > 0) n.entry = implicitDir(n.entry.path, layer);
    else parent?.children?.delete(name);
  }

  /** The content reference of the regular file (or hard link to one) at `path`. */
  contentRef(path: string): ContentRef {
    const e = this.get(path);
    if (e?.content === undefined) {
      throw new Error(`${path}: ${e === undefined ? "no such path" : `a ${e.type}, not a regular file`} in the image`);
    }
    return e.content;
  }

  /** The bytes of the regular file at `path`, streamed from the layer that holds them. */
  async *open(path: string): AsyncGenerator<Uint8Array> {
    const ref = this.contentRef(path);
    for await (const { body } of (this.layers[ref.layer] as Layer).contents([ref.entry])) {
      yield* body;
      return;
    }
  }

  /**
   * The bytes of many regular files, reading each layer at most once, lowest layer first and in each layer's
   * own order. Paths that share content (hard links) come in one call.
   */
  async readFiles(
    paths: Iterable<string>,
    visit: (paths: readonly string[], body: AsyncIterable<Uint8Array>) => Promise<void>,
  ): Promise<void> {
    const byLayer = new Map<number, Map<Entry, string[]>>();
    for (const path of paths) {
      const ref = this.contentRef(path);
      const wanted = byLayer.get(ref.layer) ?? new Map<Entry, string[]>();
      wanted.set(ref.entry, [...(wanted.get(ref.entry) ?? []), path]);
      byLayer.set(ref.layer, wanted);
    }
    for (const [index, wanted] of [...byLayer].sort(([a], [b]) => a - b)) {
      for await (const { entry, body } of (this.layers[index] as Layer).contents([...wanted.keys()])) {
        await visit(wanted.get(entry) ?? [], body);
      }
    }
  }
}

/**
 * Stacks layers bottom (index 0) to top, reading each layer's entries once, as Docker and umoci apply them:
 *
 * - `.wh.NAME` removes NAME and its subtree from lower layers; `.wh..wh..opq` hides every lower entry of its
 *   directory wherever it sits in the layer; neither affects entries of its own layer, and the markers never
 *   appear in the tree. A marker name that is not a plain name (`.wh.`, `.wh..`) is a FormatError.
 * - A directory over a directory takes the new attributes and keeps the children; any other entry over an
 *   existing one replaces it and its subtree.
 * - Parent directories are resolved through symlinks of lower layers (`lib -> usr/lib` puts `lib/x` at
 *   `/usr/lib/x`); a parent that is a file is a FormatError.
 * - A hard link must name an existing non-directory in its own or a lower layer, and keeps that content.
 *
 * Layers apply bottom to top, unlike go-containerregistry's mutate.Extract, so that each path can record
 * the lower layers it shadowed and hard links resolve against the tree as it was.
 */
export async function flatten(layers: readonly Layer[]): Promise<FsTree> {
  const tree = new FsTree(layers);
  for (const [i, layer] of layers.entries()) {
    for await (const e of layer.entries()) tree.apply(e, i);
  }
  return tree;
}
