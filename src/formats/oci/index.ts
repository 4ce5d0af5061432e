/** `talos-ext/formats/oci`: OCI and Docker image archives, opened for a platform and written. */
export { type ArchiveFormat, type Image, type ImageConfig, openImageArchive } from "./archive.js";
export type { ImageLayer } from "./layer.js";
export { DEFAULT_PLATFORM, type Platform, parsePlatform, platformText } from "./platform.js";
export { type ImageArchiveOptions, type ImageArchiveWritten, writeImageArchive } from "./write.js";
