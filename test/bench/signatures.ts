import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readKernelImage } from "../../src/formats/kernel/index.js";
import { namesCertificate, readModuleSignature, verifyModuleSignature } from "../../src/formats/kmod-sig/index.js";
import { FileSource } from "../../src/io/source.js";
import { type BenchRow, timeOurs, timeTool } from "./harness.js";

const debian = join(import.meta.dirname, "../../../test/fixtures/out/debian-kernel");

/** Every module of Debian's kernel package: our signature reader (and verifier) against `modinfo -F signer`. */
export async function bench(): Promise<BenchRow[]> {
  const release = readFileSync(join(debian, "release"), "utf8").trim();
  const root = join(debian, "modules", release);
  const files = readdirSync(root, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ko"))
    .map((f) => join(root, f));
  const certs = (await readKernelImage(await FileSource.open(join(debian, "vmlinuz")))).certificates;
  const cmd = `find ${root} -name '*.ko' -print0 | xargs -0 /sbin/modinfo -F signer >/dev/null`;
  const tool = timeTool(cmd);
  const read = async (verify: boolean) => {
    for (const f of files) {
      const src = await FileSource.open(f);
      const sig = await readModuleSignature(src);
      if (verify && sig) {
        const cert = certs.find((c) => namesCertificate(sig, c));
        if (!cert || !(await verifyModuleSignature(src, sig, cert))) throw new Error(`${f} does not verify`);
      }
      await src.close();
    }
  };
  return [
    {
      name: `signatures: read ${files.length} modules`,
      oursSeconds: await timeOurs(() => read(false)),
      toolSeconds: tool.seconds,
      toolPeakMiB: tool.peakMiB,
      toolCommand: cmd,
    },
    {
      name: `signatures: read and verify ${files.length} modules`,
      oursSeconds: await timeOurs(() => read(true)),
      toolSeconds: tool.seconds,
      toolPeakMiB: tool.peakMiB,
      toolCommand: cmd,
      note: "modinfo does not verify",
    },
  ];
}
