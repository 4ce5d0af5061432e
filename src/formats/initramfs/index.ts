/** `talos-ext/formats/initramfs`: an initramfs split into its (compressed) cpio segments. */
export {
  listInitramfs,
  readInitramfs,
  type Segment,
  type SegmentBounds,
  segmentEntries,
  splitInitramfs,
} from "./reader.js";
