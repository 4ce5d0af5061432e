import type { Install } from "../../installs.js";

/** How an entry got into the extension, for messages: `cp at pkg.yaml:12`, through stages. */
export function provenance(e: Install): string {
  const via = e.origin.via.length > 0 ? ` (through stage ${e.origin.via.join(" → ")})` : "";
  return `${e.origin.how} at ${e.origin.file}:${e.origin.place.line}${via}`;
}
