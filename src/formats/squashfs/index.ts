/** `talos-ext/formats/squashfs`: SquashFS images, read (walk, stat, stream, xattrs) and written deterministically. */
export { type InodeType, SquashFs, type WalkEntry } from "./reader.js";
export { type SquashfsSource, type SquashfsWriteOptions, type SquashfsWritten, writeSquashfs } from "./writer.js";
