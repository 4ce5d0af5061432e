/**
 * What an extension image may hold at its top level: Talos' extensions.Load (pkg/machinery/extensions/load.go)
 * reads the directory and accepts only `manifest.yaml` and `rootfs`; any other entry is `unexpected file`, and
 * both are required. siderolabs/extensions' build runs the same Load through extensions-validator.
 */

/** Talos' errors for these top-level names, in its order: ReadDir sorts, and Load stops at the first. */
export function checkExtensionLayout(names: readonly string[]): string[] {
  const extra = [...names].sort().find((n) => n !== "manifest.yaml" && n !== "rootfs");
  if (extra !== undefined) return [`unexpected file ${JSON.stringify(extra)}`];
  if (!names.includes("manifest.yaml")) return ["extension manifest is missing"];
  if (!names.includes("rootfs")) return ["extension rootfs is missing"];
  return [];
}
