/**
 * Who loses what when the winning ld.so.cache lacks a shipped library: two consumers read the cache, and only
 * one of them looks further.
 *
 * - ld.so (glibc elf/dl-load.c, _dl_map_object): after RPATH, LD_LIBRARY_PATH and RUNPATH it asks the cache
 *   (_dl_load_cache_lookup) and, on a miss, "finally, try the default path": __rtld_search_dirs, the trusted
 *   directories built into it (elf/Makefile's trusted-dirs.h from Makeconfig's default-rpath, $(slibdir) and
 *   $(libdir)). slibdir is where libc.so.6 is installed, so a library beside the cache's libc.so.6 still loads.
 * - nvidia-ctk, generating the CDI spec (pkg/lookup/library.go, NewLibraryLocator): tries a fixed list of
 *   distribution directories (/usr/lib64, /usr/lib/x86_64-linux-gnu, ...; not /usr/local/lib), then only the
 *   cache (pkg/lookup/ldcache.go, newLdcacheLocator, reading <root>/etc/ld.so.cache through internal/ldcache).
 *   A driver library missing from the cache is not found at all: CDI generation fails.
 */
import type { CacheVerdict, MissingLibrary } from "../../../src/talos/overlay.js";
import { judgeLdCaches } from "../../../src/talos/overlay.js";
import type { ArtifactFact } from "../../model.js";

/** Sonames of NVIDIA's driver libraries, which nvidia-ctk locates through the cache. */
const NVIDIA = /^lib(cuda|nvidia-|nvcuvid|nvoptix|GLX_nvidia|EGL_nvidia|GLESv[12](_CM)?_nvidia|vdpau_nvidia)/;

export interface CacheLosses {
  readonly artifact: ArtifactFact;
  readonly verdict: CacheVerdict;
  /** NVIDIA's libraries: nvidia-ctk does not find them. */
  readonly nvidia: readonly MissingLibrary[];
  /** Other libraries outside ld.so's trusted directories: programs fail to load them. */
  readonly untrusted: readonly MissingLibrary[];
  /** Other libraries in a trusted directory: ld.so still finds them after the cache miss. */
  readonly trusted: readonly MissingLibrary[];
  readonly trustedDirs: readonly string[];
}

const dirname = (p: string): string => p.slice(0, Math.max(p.lastIndexOf("/"), 0)) || "/";

/** The trusted directories of the glibc whose cache this is: where libc.so.6 sits under the cache's root. */
function trustedDirs(artifact: ArtifactFact, cachePath: string): string[] {
  const root = cachePath.replace(/\/etc\/ld\.so\.cache$/, "");
  return [
    ...new Set(
      artifact.libraries
        .filter((l) => l.soname === "libc.so.6" && l.path.startsWith(`${root}/`))
        .map((l) => dirname(l.path)),
    ),
  ];
}

/** Every winning cache of an installer that lacks a shipped library, with the losses sorted by consumer. */
export function cacheLosses(artifacts: readonly ArtifactFact[]): CacheLosses[] {
  return artifacts
    .filter((a) => a.layers.length > 0)
    .flatMap((artifact) =>
      judgeLdCaches(
        artifact.layers.map((l) => l.name),
        artifact.caches,
        artifact.libraries,
      )
        .filter((v) => v.missing.length > 0)
        .map((verdict) => {
          const dirs = trustedDirs(artifact, verdict.path);
          const nvidia = verdict.missing.filter((m) => NVIDIA.test(m.soname));
          const rest = verdict.missing.filter((m) => !NVIDIA.test(m.soname));
          const inTrusted = (m: MissingLibrary) => dirs.includes(dirname(m.path));
          return {
            artifact,
            verdict,
            nvidia,
            untrusted: rest.filter((m) => !inTrusted(m)),
            trusted: rest.filter(inTrusted),
            trustedDirs: dirs,
          };
        }),
    );
}

export const named = (libs: readonly MissingLibrary[]): string =>
  libs.map((m) => `${m.soname} (${m.layer}:${m.path})`).join(", ");
