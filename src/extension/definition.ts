/**
 * An extension's build definition (`extension.yaml` in an extension directory, or `defineExtension` in code):
 * the manifest Talos reads, and what goes into the rootfs, by purpose (kernel modules, firmware, modprobe.d
 * options, extension services, any other file) so that each lands where Talos looks for it.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type Document, LineCounter, parseDocument, visit } from "yaml";
import { z } from "zod";
import { absoluteFault, relativeFault } from "../io/path.js";
import { metadataSchema } from "../talos/manifest.js";

const relativePath = z
  .string()
  .min(1)
  .refine((p) => relativeFault(p) === undefined, "a path inside the extension directory");
/** A file's place: a clean absolute path, which is all the rootfs writers take. */
const rootfsPath = z.string().superRefine((p, ctx) => {
  // `/` is clean but names no file.
  const fault = p === "/" ? "empty" : absoluteFault(p);
  if (fault === undefined) return;
  const message =
    fault === "dot" || fault === "dot-dot"
      ? "a path without '.' or '..' parts"
      : "an absolute path in the extension's rootfs";
  ctx.addIssue({ code: "custom", message });
});
const fileName = z.string().regex(/^[A-Za-z0-9._-]+$/, "a plain file name");
const mode = z.number().int().min(0).max(0o7777);

const fileSchema = z.union([
  z.object({ from: relativePath, to: rootfsPath, mode: mode.optional() }).strict(),
  z.object({ text: z.string(), to: rootfsPath, mode: mode.optional() }).strict(),
  z.object({ symlink: z.string().min(1), to: rootfsPath }).strict(),
  /** A file of another image archive (docker save or OCI layout tar), e.g. a library from a toolkit image. */
  z.object({ image: relativePath, path: rootfsPath, to: rootfsPath, mode: mode.optional() }).strict(),
]);

export const definitionSchema = z
  .object({
    manifest: metadataSchema
      .extend({
        name: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, "lower-case letters, digits, '.' and '-'"),
        version: z.string().min(1),
        author: z.string().min(1),
        description: z.string().min(1),
        compatibility: z.object({ talos: z.object({ version: z.string().min(1) }).strict() }).strict(),
      })
      .strict(),
    /** Repository the image is named in; its tag is the manifest version. */
    image: z.string().regex(/^[a-z0-9]+([._/:-][a-z0-9]+)*$/, "an image repository such as ghcr.io/org/name"),
    arch: z.enum(["amd64", "arm64"]).default("amd64"),
    /** The kernel the modules are built for: its `uname -r`. */
    kernel: z
      .object({ release: z.string().regex(/^\S+$/, "a kernel release such as 6.12.6-talos") })
      .strict()
      .optional(),
    /** Built modules, installed under /usr/lib/modules/<release>/extras/. */
    modules: z.array(relativePath).default([]),
    /** Firmware files, installed under /usr/lib/firmware/<to> (a directory when `from` has a `*`). */
    firmware: z.array(z.object({ from: relativePath, to: z.string().regex(/^[^/].*[^/]$/) }).strict()).default([]),
    /** modprobe.d files by name, installed under /usr/local/lib/modprobe.d/ where Talos reads them. */
    modprobe: z.record(fileName.regex(/\.conf$/, "a .conf file name"), z.string()).default({}),
    /** Extension services: /usr/local/etc/containers/<name>.yaml, their rootfs under /usr/local/lib/containers/. */
    services: z.record(fileName, z.record(z.string(), z.unknown())).default({}),
    files: z.array(fileSchema).default([]),
  })
  .strict()
  .superRefine((d, ctx) => {
    if (d.modules.length > 0 && d.kernel === undefined) {
      ctx.addIssue({ code: "custom", path: ["kernel"], message: "kernel.release is needed to install modules" });
    }
  });

export type ExtensionDefinition = z.output<typeof definitionSchema>;
export type ExtensionDefinitionInput = z.input<typeof definitionSchema>;
export type DefinitionFile = z.output<typeof fileSchema>;

export class DefinitionError extends Error {
  override readonly name = "DefinitionError";
  constructor(
    readonly file: string,
    readonly issues: readonly { line: number; column: number; key: string; message: string }[],
  ) {
    super(issues.map((i) => `${file}:${i.line}:${i.column}: ${i.key ? `${i.key}: ` : ""}${i.message}`).join("\n"));
  }
}

/** A typed definition, checked now so that a mistake surfaces where it is written. */
export function defineExtension(def: ExtensionDefinitionInput): ExtensionDefinition {
  const parsed = definitionSchema.safeParse(def);
  if (!parsed.success) {
    throw new DefinitionError(
      "defineExtension",
      parsed.error.issues.map((i) => ({ line: 0, column: 0, key: i.path.join("."), message: i.message })),
    );
  }
  return parsed.data;
}

export const DEFINITION_FILE = "extension.yaml";

/** Where the first alias that names no anchor set before it is, if there is one. */
function unresolvedAlias(doc: Document): number | undefined {
  let at: number | undefined;
  visit(doc, {
    Alias(_, node) {
      if (node.resolve(doc) !== undefined) return undefined;
      at = node.range?.[0];
      return visit.BREAK;
    },
  });
  return at;
}

/** `DIR/extension.yaml`, with every problem at its line and column. */
export async function loadDefinition(dir: string): Promise<ExtensionDefinition> {
  const file = join(dir, DEFINITION_FILE);
  const text = await readFile(file, "utf8");
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new DefinitionError(
      file,
      doc.errors.map((e) => {
        const { line, col } = lines.linePos(e.pos[0]);
        return { line, column: col, key: "", message: `YAML: ${e.message}` };
      }),
    );
  }
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (err) {
    // An alias without its anchor, or more aliases than the yaml package expands, fails only here.
    const at = unresolvedAlias(doc) ?? 0;
    const { line, col } = lines.linePos(at);
    throw new DefinitionError(file, [{ line, column: col, key: "", message: `YAML: ${(err as Error).message}` }]);
  }
  const parsed = definitionSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new DefinitionError(
    file,
    parsed.error.issues.map((i) => {
      // The deepest node the path reaches: a missing key is reported at its parent.
      let path = i.path.map(String);
      let node = doc.getIn(path, true) as { range?: [number, number] } | undefined;
      while (node?.range === undefined && path.length > 0) {
        path = path.slice(0, -1);
        node = (path.length === 0 ? doc.contents : doc.getIn(path, true)) as { range?: [number, number] } | undefined;
      }
      const { line, col } = lines.linePos(node?.range?.[0] ?? 0);
      return { line, column: col, key: i.path.join("."), message: i.message };
    }),
  );
}
