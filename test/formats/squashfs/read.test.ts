import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { modeString } from "../../../src/cli/inspect.js";
import { FormatError, LimitError } from "../../../src/errors.js";
import { SquashFs } from "../../../src/formats/squashfs/reader.js";
import { BufferSource, FileSource } from "../../../src/io/source.js";

const dir = join(import.meta.dirname, "../../fixtures/out/squashfs");
const IMAGES = [
  "zstd",
  "gzip",
  "xz",
  "xz-bcj",
  "lz4",
  "no-fragments",
  "always-fragments",
  "all-root",
  "small-blocks",
  "uncompressed",
];

/** `unsquashfs -lln` as {path: "mode uid/gid size-or-device [-> target]"}. */
function unsquashfsListing(image: string): Map<string, string> {
  const out = new Map<string, string>();
  const text = execFileSync("unsquashfs", ["-lln", image], { encoding: "utf8", maxBuffer: 64 << 20 });
  for (const line of text.trim().split("\n")) {
    const m = /^(\S{10}) (\d+\/\d+)\s+(\d+,\s*\d+|\d+) \S+ \S+ squashfs-root(.*?)(?: -> (.*))?$/.exec(line);
    if (m === null) throw new Error(`unparsed unsquashfs line: ${line}`);
    if (m[4] === "") continue; // the root
    const size = (m[3] as string).replace(/,\s*/, ",");
    out.set(m[4] as string, `${m[1]} ${m[2]} ${size}${m[5] !== undefined ? ` -> ${m[5]}` : ""}`);
  }
  return out;
}

describe("SquashFs against unsquashfs", () => {
  it.each(IMAGES)(
    "%s: every entry as `unsquashfs -lln` lists it, every file as `unsquashfs -d` extracts it",
    async (name) => {
      const image = join(dir, `${name}.sqsh`);
      const src = await FileSource.open(image);
      const fs = await SquashFs.open(src);
      const ours = new Map<string, string>();
      const contents = new Map<string, string>();
      for await (const { path, inode: i } of fs.walk()) {
        const size = i.type === "char" || i.type === "block" ? `${i.rdevMajor},${i.rdevMinor}` : String(i.size);
        ours.set(
          path,
          `${modeString(i.type, i.mode)} ${i.uid}/${i.gid} ${size}${i.symlinkTarget !== undefined ? ` -> ${i.symlinkTarget}` : ""}`,
        );
        if (i.type === "file") {
          const h = createHash("sha256");
          for await (const part of fs.readFile(i)) h.update(part);
          contents.set(path, h.digest("hex"));
        }
      }
      await src.close();
      // unsquashfs prints a directory's stored size; compare directories by mode and owner only.
      const strip = (m: Map<string, string>) =>
        new Map([...m].map(([p, v]) => [p, v.startsWith("d") ? v.split(" ").slice(0, 2).join(" ") : v]));
      expect(Object.fromEntries(strip(ours))).toEqual(Object.fromEntries(strip(unsquashfsListing(image))));

      const work = mkdtempSync(join(tmpdir(), "unsq-"));
      try {
        execFileSync("unsquashfs", ["-q", "-n", "-d", join(work, "r"), image], { stdio: "ignore" });
        for (const [path, sha] of contents) {
          expect([path, sha]).toEqual([
            path,
            createHash("sha256")
              .update(readFileSync(join(work, "r", path)))
              .digest("hex"),
          ]);
        }
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    },
  );

  it("counts a hard-link group's links, stats a path and reads its content", async () => {
    const fs = await SquashFs.open(await FileSource.open(join(dir, "zstd.sqsh")));
    const a = await fs.stat("/dir/a");
    expect(a?.nlink).toBe(2);
    expect(a?.uid).toBe(1000);
    const parts: Uint8Array[] = [];
    for await (const p of fs.readFile(a as NonNullable<typeof a>)) parts.push(p);
    expect(Buffer.concat(parts).toString()).toBe("linked\n");
    expect(await fs.stat("/dir/nope")).toBeUndefined();
  });

  it("reads extended attributes, inline and out of line, as getfattr dumped them from the source tree", async () => {
    const dump = readFileSync(join(dir, "xattrs.txt"), "utf8");
    const expected: Record<string, Record<string, string>> = {};
    for (const block of dump.trim().split("\n\n")) {
      const [head, ...attrs] = block.split("\n");
      const path = `/${(head as string).replace("# file: ", "")}`;
      expected[path] = Object.fromEntries(attrs.map((a) => [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 3)]));
    }
    const fs = await SquashFs.open(await FileSource.open(join(dir, "xattrs.sqsh")));
    const ours: Record<string, Record<string, string>> = {};
    for await (const { path, inode } of fs.walk()) {
      const x = await fs.listXattrs(inode);
      if (x.size > 0) ours[path] = Object.fromEntries([...x].map(([k, v]) => [k, Buffer.from(v).toString("hex")]));
    }
    expect(ours).toEqual(expected);
  });

  it("names an unsupported compressor", async () => {
    await expect(SquashFs.open(await FileSource.open(join(dir, "lzo.sqsh")))).rejects.toThrow(
      /unsupported compressor lzo/,
    );
  });
});

describe("SquashFs on damaged images", () => {
  async function readAll(bytes: Uint8Array): Promise<void> {
    const fs = await SquashFs.open(new BufferSource("damaged.sqsh", bytes));
    for await (const { inode } of fs.walk())
      if (inode.type === "file") for await (const _ of fs.readFile(inode)) void _;
  }
  const expectTyped = async (bytes: Uint8Array) => {
    await readAll(bytes).then(
      () => undefined,
      (err) => {
        if (!(err instanceof FormatError || err instanceof LimitError)) throw err;
      },
    );
  };

  it("truncations at many offsets fail with a typed error", async () => {
    const bytes = readFileSync(join(dir, "gzip.sqsh"));
    // mksquashfs pads the image to 4 KiB; a cut in that padding loses nothing.
    const used = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(40, true));
    for (let cut = 0; cut < used; cut += Math.max(1, Math.floor(used / 150))) {
      await expect(readAll(bytes.subarray(0, cut))).rejects.toSatisfy(
        (e) => e instanceof FormatError || e instanceof LimitError,
      );
    }
  });

  it("seeded random byte mutations never crash or hang", async () => {
    const original = readFileSync(join(dir, "small-blocks.sqsh"));
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    // Mutate the tables at the end, where a byte decides structure rather than file content.
    const tablesAt = Number(new DataView(original.buffer, original.byteOffset).getBigUint64(64, true));
    for (let i = 0; i < 200; i++) {
      const b = Buffer.from(original);
      for (let k = 0; k < 4; k++) b[tablesAt + (rand() % (b.length - tablesAt))] = rand() & 0xff;
      await expectTyped(b);
    }
  }, 120_000);
});
