/** `talos-ext/formats/ldcache`: glibc's ld.so.cache, read, written, and computed from a tree as ldconfig would. */
export type { LdCacheEntry } from "./entry.js";
export { ldCacheFlagsText } from "./flags.js";
export { LD_CACHE_MAX_BYTES, type LdCache, readLdCache } from "./read.js";
export { ldCacheLibsFromTree, type TreeLibs } from "./tree.js";
export { writeLdCache } from "./write.js";
