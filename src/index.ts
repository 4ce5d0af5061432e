export { FormatError, LimitError } from "./errors.js";
export type { ByteSource } from "./io/source.js";
export { BufferSource, FileSource, SliceSource } from "./io/source.js";
