import type { Entry } from "../../io/entry.js";
import { absoluteParts } from "../../io/path.js";
import { DIR_MAX_NAME } from "./format.js";

/** What the writer was given, as a tree: every directory's children sorted as the kernel's lookup needs. */
export interface WriteNode {
  readonly name: Uint8Array;
  readonly inode: WriteInode;
  /** Directories only, sorted byte-wise by name. */
  readonly children?: WriteNode[];
}

/** One inode: hard links share it. `number` is set by `numberInodes`. */
export interface WriteInode {
  readonly entry: Entry;
  nlink: number;
  number: number;
}

export class WriteInputError extends Error {
  override readonly name = "WriteInputError";
  constructor(
    readonly source: string,
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${source}: ${path}: ${problem}`);
  }
}

const utf8 = new TextEncoder();

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return a.length - b.length;
}

/** The parts of a clean absolute path; anything else is refused rather than reinterpreted. */
function parts(source: string, path: string): string[] {
  const p = absoluteParts(
    path,
    () => new WriteInputError(source, path, "not a clean absolute path (/a/b, no '.', '..', '//' or NUL)"),
  );
  for (const x of p) {
    if (utf8.encode(x).length > DIR_MAX_NAME) {
      throw new WriteInputError(source, path, `a name longer than ${DIR_MAX_NAME} bytes`);
    }
  }
  return p;
}

interface Building {
  entry: Entry | undefined;
  children: Map<string, Building> | undefined;
}

/**
 * The tree of a list of entries. Missing parent directories are made (mode 0755, owned by root, at
 * `implicitMtime`), as tar extractors make them; a path given twice, an entry below a non-directory, or a hard
 * link to a directory or to nothing is refused.
 */
export function buildTree(source: string, entries: Iterable<Entry>, implicitMtime: number): WriteNode {
  const root: Building = { entry: undefined, children: new Map() };
  const links: Entry[] = [];
  for (const e of entries) {
    let at = root;
    const names = parts(source, e.path);
    for (const [i, name] of names.entries()) {
      if (at.children === undefined) {
        throw new WriteInputError(source, e.path, `a parent (${names.slice(0, i).join("/")}) is not a directory`);
      }
      let next = at.children.get(name);
      if (next === undefined) {
        next = { entry: undefined, children: new Map() };
        at.children.set(name, next);
      }
      at = next;
    }
    if (at.entry !== undefined) throw new WriteInputError(source, e.path, "given twice");
    if (e.type !== "dir" && at.children !== undefined && at.children.size > 0) {
      throw new WriteInputError(source, e.path, `a ${e.type} with entries below it`);
    }
    at.entry = e;
    if (e.type !== "dir") at.children = undefined;
    if (e.type === "hardlink") links.push(e);
  }

  const inodes = new Map<Building, WriteInode>();
  const lookup = (path: string): Building | undefined => {
    let at: Building | undefined = root;
    for (const name of parts(source, path)) at = at?.children?.get(name);
    return at;
  };
  const implicit = (path: string): Entry => ({
    path,
    type: "dir",
    mode: 0o755,
    uid: 0,
    gid: 0,
    size: 0,
    mtime: implicitMtime,
    xattrs: new Map(),
    at: -1,
  });
  const inodeOf = (b: Building, path: string): WriteInode => {
    let inode = inodes.get(b);
    if (inode === undefined) {
      inode = { entry: b.entry ?? implicit(path), nlink: 1, number: 0 };
      inodes.set(b, inode);
    }
    return inode;
  };
  // A hard link shares its target's inode: resolved before the tree is frozen so every path sees the count.
  const shared = new Map<string, WriteInode>();
  for (const link of links) {
    const target = link.linkTarget === undefined ? undefined : lookup(link.linkTarget);
    if (target?.entry === undefined || target.entry.type === "dir" || target.entry.type === "hardlink") {
      throw new WriteInputError(source, link.path, `a hard link to ${link.linkTarget ?? "nothing"}, not to a file`);
    }
    const inode = inodeOf(target, target.entry.path);
    inode.nlink++;
    shared.set(link.path, inode);
  }

  const freeze = (b: Building, path: string, name: string): WriteNode => {
    const inode = shared.get(path) ?? inodeOf(b, path);
    const node: WriteNode = { name: utf8.encode(name), inode };
    if (b.children === undefined) return node;
    const children = [...b.children].map(([n, c]) => freeze(c, path === "/" ? `/${n}` : `${path}/${n}`, n));
    children.sort((x, y) => compareBytes(x.name, y.name));
    return { ...node, children };
  };
  return freeze(root, "/", "");
}

/**
 * Inode numbers as mksquashfs gives them: a directory's files first, in name order with each subdirectory's
 * whole subtree in its place, then the directory itself; the root is last. Returns the count.
 */
export function numberInodes(root: WriteNode): number {
  let next = 1;
  const visit = (dir: WriteNode): void => {
    for (const c of dir.children ?? []) {
      if (c.children !== undefined) visit(c);
      else if (c.inode.number === 0) c.inode.number = next++;
    }
    dir.inode.number = next++;
  };
  visit(root);
  return next - 1;
}

/** Every inode once, in number order. */
export function inodesInOrder(root: WriteNode, count: number): WriteInode[] {
  const out: WriteInode[] = new Array(count);
  const visit = (n: WriteNode): void => {
    out[n.inode.number - 1] = n.inode;
    for (const c of n.children ?? []) visit(c);
  };
  visit(root);
  return out;
}
