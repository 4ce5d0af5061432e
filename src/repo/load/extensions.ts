/** The extensions: packages with a manifest (manifest.yaml.tmpl, else a plain manifest.yaml). */
import { parseManifest } from "../../talos/manifest.js";
import type { Extension, ManifestSource, Package } from "../model.js";
import { TextMap } from "../yaml.js";
import type { RepoFiles } from "./files.js";
import { chain, join } from "./paths.js";

export async function findExtensions(files: RepoFiles, packages: readonly Package[]): Promise<Extension[]> {
  const extensions: Extension[] = [];
  for (const pkg of packages) {
    const tmpl = join(pkg.dir, "manifest.yaml.tmpl");
    const plain = join(pkg.dir, "manifest.yaml");
    const manifestFile = files.isFile(tmpl) ? tmpl : files.isFile(plain) ? plain : undefined;
    if (manifestFile === undefined) continue;
    const manifest = manifestFile === tmpl ? renderedManifest(pkg, tmpl) : await plainManifest(files, plain);
    const readme = readmeOf(files, pkg.dir);
    extensions.push({
      dir: pkg.dir,
      pkg,
      name: pkg.doc?.name?.value ?? pkg.dir,
      manifestFile,
      ...(manifest ? { manifest } : {}),
      ...(readme ? { readme } : {}),
    });
  }
  return extensions;
}

/** The template's rendering, which the package loaded as one of its templates. */
function renderedManifest(pkg: Package, file: string): ManifestSource | undefined {
  const map = pkg.templates.find((t) => t.file === file)?.map;
  return map === undefined ? undefined : { file, map, parse: parseManifest(map.text, file) };
}

async function plainManifest(files: RepoFiles, file: string): Promise<ManifestSource | undefined> {
  const text = await files.read(file);
  return text === undefined ? undefined : { file, map: new TextMap(file, text), parse: parseManifest(text, file) };
}

/** The closest README.md in `dir` or a directory above it, short of the root. */
function readmeOf(files: RepoFiles, dir: string): string | undefined {
  return chain(dir)
    .slice(1)
    .reverse()
    .map((d) => join(d, "README.md"))
    .find((f) => files.isFile(f));
}
