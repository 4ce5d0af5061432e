/**
 * The repository fixture: `fixtures/clean` is a tree laid out like siderolabs/extensions, and each
 * `fixtures/faults/<name>` holds `variant.yaml` (what it breaks, files to remove, the findings it must give)
 * and `tree/` (files that replace or join the clean tree's). `materialize` writes clean + variant to a new
 * temporary directory, so that tests can also add what cannot be committed (symlink loops, binary bytes).
 * `fixtures/upstream` (layout.yaml and tree/, applied the same way) turns the clean tree into upstream's
 * shape where upstream differs: shared glibc files listed in exceptions files, a disabled extension, an
 * optional build argument, no READMEs; a variant with `base: upstream` starts from that.
 */
import { cp, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { z } from "zod";

export const FIXTURES = join(import.meta.dirname, "fixtures");
export const CLEAN = join(FIXTURES, "clean");
const FAULTS = join(FIXTURES, "faults");
const UPSTREAM = join(FIXTURES, "upstream");

const layoutSchema = z.object({ description: z.string(), remove: z.array(z.string()).default([]) });

const variantSchema = z.object({
  description: z.string(),
  base: z.enum(["clean", "upstream"]).default("clean"),
  remove: z.array(z.string()).default([]),
  expect: z.array(
    z.object({
      code: z.string().regex(/^TE[0-9]{4}$/),
      file: z.string(),
      line: z.number().int().positive().optional(),
      column: z.number().int().positive().optional(),
      message: z.string().optional(),
    }),
  ),
});

export type Variant = z.infer<typeof variantSchema> & { readonly name: string };

export async function variants(): Promise<Variant[]> {
  const names = (await readdir(FAULTS)).sort();
  return Promise.all(
    names.map(async (name) => ({
      name,
      ...variantSchema.parse(parse(await readFile(join(FAULTS, name, "variant.yaml"), "utf8"))),
    })),
  );
}

async function apply(dir: string, remove: readonly string[], tree: string): Promise<void> {
  for (const r of remove) await rm(join(dir, r), { recursive: true });
  await cp(tree, dir, { recursive: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== "ENOENT") throw err;
  });
}

/** A fresh copy of the clean tree (in upstream's shape for `base: upstream`) with `variant` applied. */
export async function materialize(
  variant?: Variant,
  base: Variant["base"] = variant?.base ?? "clean",
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "talos-ext-repo-"));
  await cp(CLEAN, dir, { recursive: true });
  if (base === "upstream") {
    const layout = layoutSchema.parse(parse(await readFile(join(UPSTREAM, "layout.yaml"), "utf8")));
    await apply(dir, layout.remove, join(UPSTREAM, "tree"));
  }
  if (variant !== undefined) await apply(dir, variant.remove, join(FAULTS, variant.name, "tree"));
  return dir;
}

export const dispose = (dir: string): Promise<void> => rm(dir, { recursive: true, force: true });
