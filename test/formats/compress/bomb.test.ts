/**
 * Decompression bombs made by the real tools, decoded by every decoder in a child process of its own (the
 * module built by tsc, as the package ships it), so that the peak RSS measured is the decoder's alone.
 */
import { execFile, execSync } from "node:child_process";
import { mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const exec = promisify(execFile);
const ROOT = join(import.meta.dirname, "../../..");
// Inside the repository, so that the built files resolve their packages from its node_modules.
const CACHE = join(ROOT, "node_modules/.cache");
const MiB = 1 << 20;
/** Each bomb is 64 copies of 64 MiB of zeros compressed: 4 GiB of output against a limit of one copy. */
const COPY = 64 * MiB;
const LIMIT = COPY;
/** Node, the native decoders and the kept output stay under this; the limit alone would allow 4 GiB. */
const BOUND = LIMIT + 200 * MiB;

let build: string;
let work: string;
/** The size of one compressed copy, by file. */
const copySize = new Map<string, number>();

beforeAll(async () => {
  await mkdir(CACHE, { recursive: true });
  build = await mkdtemp(join(CACHE, "talos-ext-bomb-"));
  work = await mkdtemp(join(CACHE, "talos-ext-bomb-data-"));
  const tsc = exec(
    "npx",
    [
      "tsc",
      ...["--outDir", build, "--rootDir", ROOT, "--module", "nodenext", "--moduleResolution", "nodenext"],
      ...["--target", "es2023", "--skipLibCheck", "--types", "node"],
      join(ROOT, "test/formats/compress/bomb-child.ts"),
    ],
    { cwd: ROOT },
  );
  execSync(
    [
      `head -c ${COPY} /dev/zero > zeros`,
      "gzip -c zeros > one.gz",
      "zstd -q -c zeros > one.zst",
      "xz -c zeros > one.xz",
      "lz4 -q -c zeros > one.lz4",
      "lz4 -q -l -c zeros > one.legacy.lz4",
      "for f in gz zst xz lz4 legacy.lz4; do for i in $(seq 64); do cat one.$f; done > bomb.$f; done",
      // The initramfs splitter inflates one gzip member to learn its length: one member of 256 MiB.
      "head -c 256M /dev/zero | gzip -1 -c > member.gz",
    ].join(" && "),
    { cwd: work, shell: "/bin/bash" },
  );
  for (const f of ["gz", "zst", "xz", "lz4", "legacy.lz4"]) {
    copySize.set(`bomb.${f}`, (await stat(join(work, `one.${f}`))).size);
  }
  // tsc emits even when a module elsewhere fails to type-check (that is `npm run typecheck`'s to report).
  await tsc.catch(async (err) => {
    if (!(await stat(join(build, "test/formats/compress/bomb-child.js")).catch(() => undefined))) throw err;
  });
}, 300_000);

afterAll(async () => {
  await rm(build, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
});

interface ChildResult {
  maxRSS: number;
  error?: string;
  file?: string;
  offset?: number;
  limit?: number;
  requested?: number;
  length?: number;
}

async function child(file: string, kind: string, backend = ""): Promise<ChildResult> {
  const script = join(build, "test/formats/compress/bomb-child.js");
  const { stdout } = await exec(process.execPath, [script, join(work, file), kind, backend, String(LIMIT)]);
  return JSON.parse(stdout) as ChildResult;
}

describe("decompression bombs: 4 GiB of output from the real tools against a 64 MiB limit", () => {
  // The limit is passed by the first output of the second copy: at its first block where the framing says
  // where that is (after a zstd frame header, an lz4 frame descriptor of 7 bytes, a legacy magic of 4).
  const CASES: [string, string, string, (copy: number, offset: number) => void][] = [
    ["bomb.gz", "gzip", "", (s, o) => expect(o > s && o <= 2 * s).toBe(true)],
    ["bomb.xz", "xz", "", (s, o) => expect(o > s && o <= 2 * s).toBe(true)],
    ["bomb.zst", "zstd", "native", (s, o) => expect(o > s && o <= s + 18).toBe(true)],
    ["bomb.zst", "zstd", "fzstd", (s, o) => expect(o > s && o <= s + 18).toBe(true)],
    ["bomb.lz4", "lz4-frame", "native", (s, o) => expect(o).toBe(s + 7)],
    ["bomb.lz4", "lz4-frame", "js", (s, o) => expect(o).toBe(s + 7)],
    ["bomb.legacy.lz4", "lz4-legacy", "native", (s, o) => expect(o).toBe(s + 4)],
    ["bomb.legacy.lz4", "lz4-legacy", "js", (s, o) => expect(o).toBe(s + 4)],
  ];

  it.each(CASES)("%s as %s %s: a LimitError, memory bounded", async (file, kind, backend, offset) => {
    const r = await child(file, kind, backend);
    expect(r).toMatchObject({ error: "LimitError", file: join(work, file), limit: LIMIT });
    expect(r.requested).toBeGreaterThan(LIMIT);
    offset(copySize.get(file) as number, r.offset as number);
    expect(r.maxRSS).toBeLessThan(BOUND);
  });

  it("the initramfs splitter finds where a 256 MiB gzip member ends without holding its output", async () => {
    const r = await child("member.gz", "gzip-member");
    expect(r.length).toBe((await stat(join(work, "member.gz"))).size);
    expect(r.maxRSS).toBeLessThan(200 * MiB);
  });
});
