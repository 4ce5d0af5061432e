/**
 * Imports run down the layers only: formats -> io; image and talos -> formats; report -> io; verify -> image,
 * talos, report; extension, repo and p2p -> what lies below them (not each other); cli on top.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");

/** Each layer and the layers it may import, besides itself. */
const MAY_IMPORT: Record<string, readonly string[]> = {
  io: [],
  formats: ["io"],
  image: ["formats", "io"],
  talos: ["formats", "io"],
  report: ["io"],
  verify: ["image", "talos", "report", "formats", "io"],
  extension: ["verify", "image", "talos", "report", "formats", "io"],
  repo: ["talos", "report", "formats", "io"],
  p2p: ["report", "formats", "io"],
  cli: ["extension", "repo", "p2p", "verify", "image", "talos", "report", "formats", "io"],
};

/** The layer of a file: `verify/...` is the verifier, `src/<layer>/...` the rest. */
function layerOf(file: string): string {
  const parts = relative(ROOT, file).split("/");
  const layer = parts[0] === "src" ? (parts[1] as string) : (parts[0] as string);
  if (!(layer in MAY_IMPORT)) throw new Error(`${relative(ROOT, file)} is in no layer`);
  return layer;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    return d.isDirectory() ? sources(p) : p.endsWith(".ts") ? [p] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?\sfrom\s+"(\.{1,2}\/[^"]+)"|import\("(\.{1,2}\/[^"]+)"\)/g;

/** Every relative import of the library and the verifier, as `file -> target`. */
function imports(): { file: string; target: string }[] {
  return [...sources(join(ROOT, "src")), ...sources(join(ROOT, "verify"))].flatMap((file) =>
    [...readFileSync(file, "utf8").matchAll(IMPORT)].map((m) => ({
      file,
      target: resolve(dirname(file), (m[1] ?? m[2]) as string),
    })),
  );
}

describe("layers", () => {
  it("finds the imports it judges", () => {
    const found = imports();
    // The CLI imports the verifier, the verifier the formats: the scan sees across layers.
    expect(found.some((i) => layerOf(i.file) === "cli" && layerOf(i.target) === "verify")).toBe(true);
    expect(found.some((i) => layerOf(i.file) === "verify" && layerOf(i.target) === "formats")).toBe(true);
  });

  it("has no import that runs up or across the layers", () => {
    const wrong = imports()
      .filter(({ file, target }) => {
        const from = layerOf(file);
        const to = layerOf(target);
        return from !== to && !(MAY_IMPORT[from] as readonly string[]).includes(to);
      })
      .map(({ file, target }) => `${relative(ROOT, file)} -> ${relative(ROOT, target)}`);
    expect(wrong).toEqual([]);
  });

  it("refuses an upward import when it sees one", () => {
    const upward = { file: join(ROOT, "src/formats/x.ts"), target: join(ROOT, "src/image/y.ts") };
    expect((MAY_IMPORT[layerOf(upward.file)] as readonly string[]).includes(layerOf(upward.target))).toBe(false);
  });
});
