/**
 * The root as the node sees it: every layer's entries stacked, the upper layer's where two ship a path
 * (overlay.ts), and paths looked up through its symlinks the way the kernel does, inside a chosen root.
 */
import type { EntryType } from "../../io/entry.js";
import { resolveSync } from "../../io/symlink.js";
import type { OverlayLayer } from "../overlay.js";

export interface TreeNode {
  readonly layer: string;
  readonly type: EntryType;
  readonly linkTarget?: string;
}

const join = (dir: string, name: string) => (dir === "/" ? `/${name}` : `${dir}/${name}`);

export class MergedTree {
  private readonly nodes = new Map<string, TreeNode>();

  /** `layers` bottom to top. */
  constructor(layers: readonly OverlayLayer[]) {
    for (const l of layers) {
      for (const e of l.entries) {
        this.nodes.set(e.path, { layer: l.name, type: e.type, ...(e.linkTarget ? { linkTarget: e.linkTarget } : {}) });
      }
    }
  }

  node(path: string): TreeNode | undefined {
    return this.nodes.get(path);
  }

  /**
   * The full path of the regular file `path` names inside the root `root` (`""` for `/`, or a container's
   * rootfs), symlinks resolved within that root as open(2) in a chroot would; undefined when nothing is there
   * or it is not a file. A hard link stands for the file it names.
   */
  file(root: string, path: string): string | undefined {
    const r = resolveSync<string>("/", path.split("/"), { followLast: true }, ({ dirPath, name }) => {
      const inner = join(dirPath, name);
      const n = this.nodes.get(`${root}${inner}`);
      if (n === undefined) return undefined;
      return n.type === "symlink" ? { node: inner, symlink: n.linkTarget ?? "" } : { node: inner };
    });
    if (r.kind !== "found") return undefined;
    const full = `${root}${r.path}`;
    const n = this.nodes.get(full);
    if (n?.type === "hardlink" && n.linkTarget) return n.linkTarget;
    return n?.type === "file" ? full : undefined;
  }
}
