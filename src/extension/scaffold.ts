/**
 * `talos-ext new`: a template folder copied into a new extension directory with its placeholders filled.
 * The directory appears whole or not at all: it is written beside its final place and renamed.
 */
import { existsSync } from "node:fs";
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { parse } from "yaml";
import { relativeFault } from "../io/path.js";

export interface TemplateInfo {
  readonly name: string;
  readonly description: string;
}

export interface ScaffoldVars {
  readonly NAME: string;
  readonly TALOS_VERSION: string;
  readonly KERNEL_RELEASE: string;
}

/** Placeholder defaults: a kernel release that matches no real kernel, so modules must be built for one named. */
export const SCAFFOLD_DEFAULTS = { TALOS_VERSION: "v1.11.0", KERNEL_RELEASE: "0.0.0-unset" } as const;

const META = "template.yaml";

/** The templates folder shipped with the package, found from this module upward (source or built tree). */
export function templatesRoot(from = import.meta.dirname): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, "templates");
    if (existsSync(join(dir, "package.json")) && existsSync(candidate)) return candidate;
  }
  throw new Error(`no templates folder above ${from}`);
}

export async function listTemplates(root = templatesRoot()): Promise<TemplateInfo[]> {
  const out: TemplateInfo[] = [];
  for (const name of (await readdir(root)).sort()) {
    const meta = await readFile(join(root, name, META), "utf8").catch(() => undefined);
    if (meta === undefined) continue;
    const { description } = (parse(meta) ?? {}) as { description?: unknown };
    out.push({ name, description: typeof description === "string" ? description : "" });
  }
  return out;
}

async function includes(root: string, template: string): Promise<Record<string, string>> {
  const meta = (parse(await readFile(join(root, template, META), "utf8")) ?? {}) as { include?: unknown };
  const inc = (meta.include ?? {}) as Record<string, unknown>;
  for (const [to, from] of Object.entries(inc)) {
    const inside = (p: unknown) => typeof p === "string" && relativeFault(p) === undefined;
    if (!inside(to) || !inside(from))
      throw new Error(`${template}/${META}: include ${to}: ${String(from)} is not a path inside the package`);
  }
  return inc as Record<string, string>;
}

const fill = (text: string, vars: ScaffoldVars): string =>
  text.replace(/\{\{(NAME|TALOS_VERSION|KERNEL_RELEASE)\}\}/g, (_, k: keyof ScaffoldVars) => vars[k]);

async function fillTree(dir: string, vars: ScaffoldVars): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) await fillTree(path, vars);
    else if (e.isFile()) {
      const bytes = await readFile(path);
      // Text files only: a NUL byte marks a binary one, copied as it is.
      if (!bytes.includes(0)) await writeFile(path, fill(bytes.toString("utf8"), vars));
    }
  }
}

/** Writes `template` into `dest`; an existing `dest` is refused unless `force`. Returns the files written. */
export async function scaffold(
  template: string,
  dest: string,
  vars: ScaffoldVars,
  opts: { force?: boolean; root?: string } = {},
): Promise<string[]> {
  const root = opts.root ?? templatesRoot();
  const known = await listTemplates(root);
  if (!known.some((t) => t.name === template)) {
    throw new Error(`unknown template ${JSON.stringify(template)}: one of ${known.map((t) => t.name).join(", ")}`);
  }
  if (!/^[a-z0-9][a-z0-9.-]*$/.test(vars.NAME)) {
    throw new Error(`--name ${JSON.stringify(vars.NAME)}: lower-case letters, digits, '.' and '-'`);
  }
  const target = resolve(dest);
  if (existsSync(target) && !opts.force) throw new Error(`${dest} exists (use --force to replace it)`);
  await mkdir(dirname(target), { recursive: true });
  const work = await mkdtemp(join(dirname(target), `.${basename(target)}.new-`));
  try {
    await cp(join(root, template), work, { recursive: true, filter: (src) => basename(src) !== META });
    // Sources a template shares with the package (template.yaml `include`: destination -> path from the root).
    for (const [to, from] of Object.entries(await includes(root, template))) {
      await cp(join(dirname(root), from), join(work, to), { recursive: true });
    }
    await fillTree(work, vars);
    await chmod(work, 0o755); // mkdtemp made it private
    if (existsSync(target)) await rm(target, { recursive: true, force: true });
    await rename(work, target);
  } catch (err) {
    await rm(work, { recursive: true, force: true });
    throw err;
  }
  const files: string[] = [];
  const walk = async (d: string, rel: string) => {
    for (const e of (await readdir(d, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.isDirectory()) await walk(join(d, e.name), `${rel}${e.name}/`);
      else files.push(`${rel}${e.name}`);
    }
  };
  await walk(target, "");
  return files;
}
