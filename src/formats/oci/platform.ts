export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

export const DEFAULT_PLATFORM: Platform = { os: "linux", architecture: "amd64" };

/** `os/arch[/variant]`, as docker and skopeo write it. */
export function parsePlatform(text: string): Platform {
  const [os, architecture, variant, extra] = text.split("/");
  if (!os || !architecture || variant === "" || extra !== undefined) {
    throw new Error(`--platform: expected os/arch[/variant], got '${text}'`);
  }
  return { os, architecture, ...(variant ? { variant } : {}) };
}

export const platformText = (p: Platform): string => [p.os, p.architecture, p.variant].filter(Boolean).join("/");

/** arm64 images usually omit their only variant, v8; containerd's matcher treats the two as equal. */
const variantOf = (p: Platform): string | undefined =>
  p.architecture === "arm64" && p.variant === "v8" ? undefined : p.variant;

/** Whether an index entry's platform serves `wanted`; a wanted platform without a variant takes any. */
export function platformMatches(offered: Platform, wanted: Platform): boolean {
  return (
    offered.os === wanted.os &&
    offered.architecture === wanted.architecture &&
    (wanted.variant === undefined || variantOf(offered) === variantOf(wanted))
  );
}

/** BuildKit's attestation manifests sit in the index with this platform; they are never the image. */
export const isAttestation = (p: Platform | undefined): boolean => p?.os === "unknown" && p.architecture === "unknown";
