import { existsSync, readFileSync } from "node:fs";

/** The package version from package.json, two levels up from the sources or three from the build in dist/. */
export function toolVersion(): string {
  const url = ["../../package.json", "../../../package.json"]
    .map((p) => new URL(p, import.meta.url))
    .find((u) => existsSync(u) && (JSON.parse(readFileSync(u, "utf8")) as { name?: string }).name === "talos-ext");
  if (url === undefined) throw new Error("talos-ext: package.json not found beside the program");
  return (JSON.parse(readFileSync(url, "utf8")) as { version: string }).version;
}
