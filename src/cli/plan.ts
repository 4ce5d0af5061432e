import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { loadModel } from "../../verify/load.js";
import { buildExtension } from "../extension/build.js";
import { defineExtension } from "../extension/definition.js";
import { GENERATED_CACHE_LAYER, type OverlayPlan, planOverlay } from "../extension/plan.js";
import { writeLdCache } from "../formats/ldcache/write.js";
import { EXIT_FINDINGS, EXIT_INPUT, EXIT_OK } from "../report/exit.js";
import type { LayerCache, LayerLibrary } from "../talos/overlay.js";
import type { Command } from "./command.js";

interface Extension {
  readonly file: string;
  readonly name: string;
  readonly constraint: string;
  readonly caches: LayerCache[];
  readonly libraries: LayerLibrary[];
}

async function readExtension(file: string): Promise<Extension> {
  const [artifact] = (await loadModel([{ role: "extension", file }])).artifacts;
  const meta = artifact?.extensions[0]?.manifest?.metadata;
  const name = meta?.name || basename(file);
  return {
    file,
    name,
    constraint: meta?.compatibility.talos.version ?? "",
    caches: (artifact?.caches ?? []).map((c) => ({ ...c, layer: name })),
    libraries: (artifact?.libraries ?? []).map((l) => ({ ...l, layer: name })),
  };
}

function human(plan: OverlayPlan, exts: readonly Extension[], written?: string): string {
  const fileOf = new Map(exts.map((e) => [e.name, e.file]));
  const lines = [
    ...(plan.resorted === undefined
      ? []
      : [
          `warning: the imager stacks its ${exts.length} inputs in the string order of their indices (0, 1, 10, 11, 2, ...),`,
          `  so the order given would stack as: ${plan.resorted.join(", ")}`,
        ]),
    plan.reordered
      ? "Give the imager the extensions in this order (changed from the order given):"
      : "The order given keeps every library visible:",
    ...plan.input.map(
      (n, i) => `  ${String(i).padStart(3, "0")}  ${n}  ${fileOf.get(n) ?? written ?? "(generated: use --out)"}`,
    ),
    ...(plan.input.some((n, i) => n !== plan.order[i])
      ? [`which it stacks, bottom to top, as: ${plan.order.join(", ")}`]
      : []),
  ];
  for (const v of plan.verdicts) {
    lines.push(`${v.path}: shipped by ${v.providers.join(", ")}; ${v.winner} wins`);
    for (const m of v.missing) lines.push(`  still missing ${m.soname} (${m.layer}: ${m.path})`);
  }
  for (const g of plan.generated) {
    lines.push(`${g.path}: no shipped cache lists every library; generated one with ${g.libs.length} entries`);
    for (const m of g.missing) lines.push(`  listed by no cache: ${m.soname} (${m.layer}: ${m.path})`);
  }
  return `${lines.join("\n")}\n`;
}

export const plan: Command = {
  name: "plan",
  summary: "Order extensions so no ld.so.cache hides another layer's libraries; generate a cache where none can",
  usage: [
    "Usage: talos-ext plan EXTENSION.tar... [--out DIR] [--format human|json]",
    "",
    "Reads each extension image (given in the order the imager would get them) and prints the order in which",
    "every ld.so.cache path is won by a cache that lists every library the extensions ship under it (the",
    "toolkit's above glibc's). The imager of Talos 1.5 and later stacks 11 or more inputs in the string order",
    "of their indices (0, 1, 10, 2, ...): plan judges that stacking, warns when it differs from the order given,",
    "and prints the input order that stacks as wanted. Where no order works, the caches' entries are merged, and with",
    `--out DIR that cache is built as the extension ${GENERATED_CACHE_LAYER} (DIR/${GENERATED_CACHE_LAYER}.tar and .sqsh), to go last.`,
    "Exit codes: 0 the order works (or the generated layer was written), 1 it needs the generated layer and no",
    "--out was given, or libraries remain that no cache lists; 2 an input could not be read.",
  ].join("\n"),
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { out: { type: "string" }, format: { type: "string", default: "human" } },
    });
    if (positionals.length === 0 || (values.format !== "human" && values.format !== "json")) {
      process.stderr.write(`${this.usage}\n`);
      return EXIT_INPUT;
    }
    const exts: Extension[] = [];
    for (const file of positionals) exts.push(await readExtension(file));
    const result = planOverlay(
      exts.map((e) => e.name),
      exts.flatMap((e) => e.caches),
      exts.flatMap((e) => e.libraries),
    );
    let written: string | undefined;
    if (result.generated.length > 0 && values.out !== undefined) {
      const work = await mkdtemp(join(tmpdir(), "talos-ext-plan-"));
      try {
        const files = [];
        for (const [i, g] of result.generated.entries()) {
          await writeFile(join(work, `cache-${i}`), writeLdCache(g.libs));
          files.push({ from: `cache-${i}`, to: g.path, mode: 0o644 });
        }
        const def = defineExtension({
          manifest: {
            name: GENERATED_CACHE_LAYER,
            version: "1.0.0",
            author: "talos-ext plan",
            description: `ld.so.cache covering ${exts.map((e) => e.name).join(", ")}`,
            compatibility: { talos: { version: exts[0]?.constraint || ">= v1.2.0" } },
          },
          image: `localhost/${GENERATED_CACHE_LAYER}`,
          files,
        });
        written = (await buildExtension(def, { dir: work, outDir: resolve(values.out) })).image;
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    }
    process.stdout.write(
      values.format === "json"
        ? `${JSON.stringify({ ...result, written: written ?? null }, null, 2)}\n`
        : human(result, exts, written),
    );
    const incomplete = result.generated.some((g) => g.missing.length > 0);
    return incomplete || (result.generated.length > 0 && written === undefined) ? EXIT_FINDINGS : EXIT_OK;
  },
};
