/**
 * The package's public sub-paths: each entry of package.json `exports` is a folder's index.ts, built to
 * dist; each index re-exports from its own folder only, so that a sub-path's API is the folder's and the
 * layer rules that hold for the folder hold for the index too.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");

/** The folders whose index.ts is a sub-path: every format, and each layer above the formats. */
const PUBLIC = [
  "src/io",
  ...readdirSync(join(ROOT, "src/formats"), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => `src/formats/${d.name}`),
  "src/image",
  "src/talos",
  "src/report",
  "verify",
  "src/extension",
  "src/repo",
  "src/p2p",
];

const exportsMap = (): Record<string, string> =>
  (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { exports: Record<string, string> }).exports;

/** The TypeScript files under `dir`, leaving out built fixtures. */
function sources(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return d.name === "node_modules" || p === join(ROOT, "test/fixtures/out") ? [] : sources(p);
    return p.endsWith(".ts") ? [p] : [];
  });
}

/** The source index a `./dist/<folder>/index.js` target is built from. */
function sourceOf(target: string): string | undefined {
  const m = /^\.\/dist\/(.+)\/index\.js$/.exec(target);
  return m === null ? undefined : `${m[1]}/index.ts`;
}

const SPECIFIER = /\bfrom\s+"([^"]+)"|\bimport\s*\(\s*"([^"]+)"\s*\)|\bimport\s+"([^"]+)"/g;

/** The specifiers of `text` that do not resolve inside `folder` (relative to the root). */
function foreignImports(folder: string, text: string): string[] {
  return [...text.matchAll(SPECIFIER)]
    .map((m) => (m[1] ?? m[2] ?? m[3]) as string)
    .filter((spec) => {
      if (!spec.startsWith("./")) return true;
      const target = relative(join(ROOT, folder), resolve(join(ROOT, folder), spec));
      return target.startsWith("..");
    });
}

/** What is left of an index once its comments and `export … from "…";` statements are taken out. */
const nonReexports = (text: string): string =>
  text
    .replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, "")
    .replace(/export\s+(type\s+)?(\*|\{[^}]*\})\s+from\s+"[^"]+";/g, "")
    .trim();

describe("package exports", () => {
  it("maps each public folder, by its path, to the index built from its index.ts", () => {
    const entries = Object.entries(exportsMap());
    for (const [key, target] of entries) {
      const source = sourceOf(target);
      expect(source, `${key} -> ${target}`).toBeDefined();
      expect(existsSync(join(ROOT, source as string)), `${source} for ${key}`).toBe(true);
      expect(key, target).toBe(`./${dirname(source as string).replace(/^src\//, "")}`);
    }
    expect(entries.map(([, target]) => dirname(sourceOf(target) ?? "")).sort()).toEqual([...PUBLIC].sort());
  });

  it("has indexes that only re-export, from their own folder", () => {
    for (const folder of PUBLIC) {
      const text = readFileSync(join(ROOT, folder, "index.ts"), "utf8");
      expect(foreignImports(folder, text), folder).toEqual([]);
      expect(nonReexports(text), folder).toBe("");
    }
  });

  it("has no project file importing a sub-path index (they import the defining file)", () => {
    const indexes = new Set(PUBLIC.map((folder) => join(ROOT, folder, "index.ts")));
    const wrong = ["src", "verify", "test", "extensions", "templates"]
      .flatMap((dir) => sources(join(ROOT, dir)))
      .flatMap((file) =>
        [...readFileSync(file, "utf8").matchAll(SPECIFIER)]
          .map((m) => (m[1] ?? m[2] ?? m[3]) as string)
          .filter((spec) => spec.startsWith("."))
          .map((spec) => resolve(dirname(file), spec).replace(/\.js$/, ".ts"))
          .filter((target) => indexes.has(target))
          .map((target) => `${relative(ROOT, file)} -> ${relative(ROOT, target)}`),
      );
    expect(wrong).toEqual([]);
  });

  it("refuses an index that reaches out of its folder", () => {
    expect(foreignImports("src/formats/tar", 'export { FormatError } from "../../io/errors.js";')).toEqual([
      "../../io/errors.js",
    ]);
    expect(foreignImports("src/report", 'export { x } from "./render/index.js";\nimport "node:fs";')).toEqual([
      "node:fs",
    ]);
    expect(nonReexports('export const x = 1;\nexport { y } from "./y.js";')).toBe("export const x = 1;");
  });

  it("loads every index with the values it re-exports", async () => {
    for (const folder of PUBLIC) {
      const mod = (await import(pathToFileURL(join(ROOT, folder, "index.ts")).href)) as Record<string, unknown>;
      const names = Object.keys(mod);
      expect(names.length, folder).toBeGreaterThan(0);
      for (const name of names) expect(mod[name], `${folder}: ${name}`).toBeDefined();
    }
  });
});
