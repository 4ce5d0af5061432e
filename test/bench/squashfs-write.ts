import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { WriteCompressor } from "../../src/formats/squashfs/encode.js";
import { writeSquashfs } from "../../src/formats/squashfs/writer.js";
import { directorySource } from "../../src/image/directory.js";
import { type BenchRow, timeOurs, timeTool } from "./harness.js";

const debian = join(import.meta.dirname, "../../../test/fixtures/out/debian-kernel");

/**
 * Debian's 4023 kernel modules written as one SquashFS image: our writer on 2 threads against
 * `mksquashfs -processors 2` on the same tree with the same compressor and level, both into tmpfs.
 */
export async function bench(): Promise<BenchRow[]> {
  const release = readFileSync(join(debian, "release"), "utf8").trim();
  const tree = join(debian, "modules", release);
  const shm = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
  const work = mkdtempSync(join(shm, "squashfs-write-bench-"));
  const rows: BenchRow[] = [];
  try {
    const cases: [WriteCompressor, number, string][] = [
      ["zstd", 15, "-Xcompression-level 15"],
      ["gzip", 9, "-Xcompression-level 9"],
    ]; // xz is left out: liblzma's presets carry MiB dictionaries that every 128 KiB block pays to set up
    for (const [compressor, level, flags] of cases) {
      const write = () =>
        writeSquashfs(directorySource(tree), join(work, `ours-${compressor}.sqsh`), {
          compressor,
          level,
          allRoot: true,
          threads: 2,
        });
      // One run each: a write of the whole tree takes about a minute.
      const ours = await timeOurs(write, 1);
      const cmd = `mksquashfs ${tree} ${join(work, `tool-${compressor}.sqsh`)} -processors 2 -noappend -no-progress -quiet -all-root -comp ${compressor} ${flags}`;
      const tool = timeTool(cmd, 1);
      rows.push({
        name: `squashfs: write Debian's modules (${compressor} level ${level})`,
        oursSeconds: ours,
        toolSeconds: tool.seconds,
        toolPeakMiB: tool.peakMiB,
        toolCommand: cmd,
        note: "both compress on 2 threads",
      });
    }
    return rows;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
