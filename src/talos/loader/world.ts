/** What the loaders of one installer can see: the merged tree, and each layer's ELF objects, caches and path files. */
import type { LayerCache, OverlayLayer } from "../overlay.js";
import type { LayerObject } from "./object.js";
import { MergedTree } from "./tree.js";

/** A musl path file (`/etc/ld-musl-<arch>.path`) as a layer ships it. */
export interface LayerText {
  readonly layer: string;
  readonly path: string;
  readonly text: string;
}

const key = (layer: string, path: string) => `${layer}\0${path}`;

export class World {
  readonly tree: MergedTree;
  private readonly objects = new Map<string, LayerObject>();
  private readonly caches = new Map<string, LayerCache>();
  private readonly texts = new Map<string, string>();

  constructor(
    layers: readonly OverlayLayer[],
    readonly allObjects: readonly LayerObject[],
    readonly allCaches: readonly LayerCache[],
    pathFiles: readonly LayerText[],
  ) {
    this.tree = new MergedTree(layers);
    for (const o of allObjects) this.objects.set(key(o.layer, o.path), o);
    for (const c of allCaches) this.caches.set(key(c.layer, c.path), c);
    for (const t of pathFiles) this.texts.set(key(t.layer, t.path), t.text);
  }

  /** The copy at `path` that wins the overlay, when it is an ELF object. */
  objectAt(path: string): LayerObject | undefined {
    const n = this.tree.node(path);
    return n === undefined ? undefined : this.objects.get(key(n.layer, path));
  }

  cacheAt(path: string): LayerCache | undefined {
    const n = this.tree.node(path);
    return n === undefined ? undefined : this.caches.get(key(n.layer, path));
  }

  pathFileAt(path: string): string | undefined {
    const n = this.tree.node(path);
    return n === undefined ? undefined : this.texts.get(key(n.layer, path));
  }
}
