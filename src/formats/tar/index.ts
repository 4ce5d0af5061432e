/** `talos-ext/formats/tar`: tar archives (ustar, GNU and PAX), read and written. */
export type { TarEntry, TarEntryType } from "./entry.js";
export { UnsafePathError } from "./path.js";
export { readTar } from "./reader.js";
export { indexTar, walkTar } from "./walk.js";
export { type TarMember, type TarWritten, writeTar } from "./write.js";
