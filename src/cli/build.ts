import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { BuildRefused, buildExtension } from "../extension/build.js";
import { loadDefinition } from "../extension/definition.js";
import { FormatError, LimitError } from "../io/errors.js";
import { EXIT_FINDINGS, EXIT_INPUT, EXIT_OK } from "../report/exit.js";
import { renderHuman, useColor } from "../report/render/human.js";
import type { Command } from "./command.js";

export const build: Command = {
  name: "build",
  summary: "Build an extension directory into its image archive and SquashFS layer, checked before it is written",
  usage: [
    "Usage: talos-ext build [DIR] [--out OUTDIR] [--check-chain INSTALLER-BASE.tar]",
    "",
    "Reads DIR/extension.yaml (default: the current directory) and writes OUTDIR/<name>.tar (an image archive",
    "that is both an OCI layout and a docker-archive: skopeo, docker load) and OUTDIR/<name>.sqsh (the layer",
    "Talos' imager makes of the rootfs). OUTDIR defaults to DIR/_out. Timestamps come from SOURCE_DATE_EPOCH",
    "(else 0): the same inputs give the same digests.",
    "Before anything is written, the verifier's checks run on the result: unsigned modules, modules for",
    "another kernel release than kernel.release, paths Talos refuses, an invalid manifest. With --check-chain,",
    "the modules must be signed by the key built into that image's kernel.",
    "Exit codes: 0 built, 1 refused (findings printed), 2 unusable input.",
  ].join("\n"),
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { out: { type: "string" }, "check-chain": { type: "string" } },
    });
    if (positionals.length > 1) throw new Error("one extension directory at a time");
    const dir = resolve(positionals[0] ?? ".");
    const def = await loadDefinition(dir);
    const color = useColor(process.stderr, process.env);
    try {
      const r = await buildExtension(def, {
        dir,
        outDir: resolve(values.out ?? `${dir}/_out`),
        ...(values["check-chain"] ? { checkChain: resolve(values["check-chain"]) } : {}),
      });
      for (const pattern of r.unmatched) {
        process.stderr.write(`warning: ${pattern} matched no file (run the package build first)\n`);
      }
      if (r.findings.length > 0)
        process.stderr.write(renderHuman({ findings: r.findings, inputErrors: [] }, { color }));
      process.stdout.write(
        [
          `image     ${r.image}`,
          `ref       ${r.ref}`,
          `digest    ${r.manifestDigest}`,
          `layer     ${r.layerDigest}`,
          `squashfs  ${r.squashfs}`,
          "",
        ].join("\n"),
      );
      return EXIT_OK;
    } catch (err) {
      if (err instanceof BuildRefused) {
        process.stdout.write(renderHuman(err.result, { color: useColor(process.stdout, process.env) }));
        process.stderr.write("talos-ext build: refused; nothing was written\n");
        return EXIT_FINDINGS;
      }
      if (err instanceof FormatError || err instanceof LimitError) {
        process.stderr.write(`talos-ext build: ${err.message}\n`);
        return EXIT_INPUT;
      }
      throw err;
    }
  },
};
