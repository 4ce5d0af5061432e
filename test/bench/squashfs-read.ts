import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SquashFs } from "../../src/formats/squashfs/reader.js";
import { FileSource } from "../../src/io/source.js";
import { type BenchRow, timeOurs, timeTool } from "./harness.js";

const debian = join(import.meta.dirname, "../../../test/fixtures/out/debian-kernel");

/**
 * Debian's 4023 kernel modules in one zstd SquashFS (made here by mksquashfs): our reader walking the tree
 * and hashing every file with sha256, against unsquashfs extracting it into tmpfs (alone, and followed by
 * sha256sum over the extracted files), and listing it against `unsquashfs -lln`.
 */
export async function bench(): Promise<BenchRow[]> {
  const release = readFileSync(join(debian, "release"), "utf8").trim();
  const shm = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
  const work = mkdtempSync(join(shm, "squashfs-bench-"));
  try {
    const img = join(work, "modules.sqsh");
    execFileSync(
      "mksquashfs",
      [join(debian, "modules", release), img, "-noappend", "-no-progress", "-quiet", "-comp", "zstd"],
      {
        stdio: "ignore",
      },
    );
    const out = join(work, "extracted");
    const src = await FileSource.open(img);
    let files = 0;
    let bytes = 0;
    const hashAll = async () => {
      const fs = await SquashFs.open(src);
      files = 0;
      bytes = 0;
      for await (const { inode } of fs.walk()) {
        if (inode.type !== "file") continue;
        const h = createHash("sha256");
        for await (const part of fs.readFile(inode)) h.update(part);
        h.digest();
        files++;
        bytes += inode.size;
      }
    };
    const list = async () => {
      const fs = await SquashFs.open(src);
      for await (const _ of fs.walk()) void _;
    };
    const ours = await timeOurs(hashAll);
    const extract = `rm -rf ${out} && unsquashfs -q -n -d ${out} ${img}`;
    const extractHash = `${extract} && find ${out} -type f -print0 | xargs -0 sha256sum >/dev/null`;
    const lln = `unsquashfs -lln ${img} >/dev/null`;
    const rows: BenchRow[] = [];
    for (const cmd of [extract, extractHash]) {
      const tool = timeTool(cmd);
      rows.push({
        name: `squashfs: walk and sha256 ${files} files (${(bytes / 2 ** 20).toFixed(0)} MiB, zstd)`,
        oursSeconds: ours,
        toolSeconds: tool.seconds,
        toolPeakMiB: tool.peakMiB,
        toolCommand: cmd,
        note: cmd === extract ? "unsquashfs writes the files to tmpfs, hashes nothing" : "extract to tmpfs, then hash",
      });
    }
    const tool = timeTool(lln);
    rows.push({
      name: "squashfs: walk every inode (no file data)",
      oursSeconds: await timeOurs(list),
      toolSeconds: tool.seconds,
      toolPeakMiB: tool.peakMiB,
      toolCommand: lln,
    });
    await src.close();
    return rows;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
