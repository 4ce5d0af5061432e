/** `talos-ext/image`: an image, initramfs or extension flattened into one tree, as the layers stack. */
export { type DirectorySource, directorySource } from "./directory.js";
export { flattenImage, forEachImageFile, imageFileSource, imageLayer, readImageFile } from "./image-layers.js";
export { initramfsSegmentLayer } from "./initramfs-layer.js";
export type { Layer, LayerContent, LayerKind } from "./layer.js";
export { squashfsLayer } from "./squashfs-layer.js";
export { TarLayer } from "./tar-layer.js";
export { type ContentRef, type FsEntry, FsTree, flatten } from "./tree.js";
