/** `talos-ext/io`: byte sources the readers take, and the errors they throw. */
export type { Entry, EntryType } from "./entry.js";
export { FormatError, LimitError } from "./errors.js";
export { BufferSource, type ByteSource, FileSource, SliceSource, streamSource } from "./source.js";
export { sourceDateEpoch } from "./source-date-epoch.js";
