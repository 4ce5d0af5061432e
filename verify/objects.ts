/**
 * The ELF files a layer ships, for the shared-library check (TE4003): what each file's loader needs to know,
 * and musl's path files. Only the files that may be ELF objects are read.
 */
import type { Entry, LayerKind } from "../src/image/layer.js";

/** musl's search path file, `PREFIX/etc/ld-musl-<arch>.path`, in the node's root or a container's. */
export const MUSL_PATH = /\/etc\/ld-musl-[^/]+\.path$/;
const SHARED = /\.so(\.|$)/;

/**
 * A file that may be a loader, library or program: a `.so` name anywhere, and an executable in an extension
 * (the rootfs' own programs are Talos' and load nothing an extension provides, so they are not read).
 */
export function mayBeObject(e: Entry, kind: LayerKind): boolean {
  if (e.type !== "file") return false;
  return SHARED.test(e.path.slice(e.path.lastIndexOf("/") + 1)) || (kind === "extension" && (e.mode & 0o111) !== 0);
}
