// Module hooks for a worker thread started from the TypeScript sources (under vitest): `./x.js` imports
// resolve to `./x.ts` where only that exists, and .ts files are transpiled as they load. The build has .js
// files and never uses this.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
// Vite's own transformer (oxc, through rolldown): there whenever vitest is, and quick to load on each thread.
import { transformSync } from "rolldown/experimental";

export async function resolve(specifier, context, next) {
  if (specifier.endsWith(".js") && context.parentURL?.endsWith(".ts")) {
    const url = new URL(specifier, context.parentURL);
    const source = new URL(url.href.replace(/\.js$/, ".ts"));
    if (url.protocol === "file:" && !existsSync(url) && existsSync(source)) {
      return { url: source.href, format: "module", shortCircuit: true };
    }
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (!url.endsWith(".ts")) return next(url, context);
  const file = fileURLToPath(url);
  const { code, errors } = transformSync(file, await readFile(file, "utf8"));
  if (errors.length > 0) throw new Error(`${file}: ${errors.map((e) => e.message).join("; ")}`);
  return { format: "module", source: code, shortCircuit: true };
}
