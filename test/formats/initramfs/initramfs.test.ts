import { execFileSync, execSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FormatError } from "../../../src/errors.js";
import { listInitramfs, readInitramfs, type Segment } from "../../../src/formats/initramfs/index.js";
import { BufferSource, FileSource } from "../../../src/io/source.js";

const dir = join(import.meta.dirname, "../../fixtures/out/initramfs");
const installer = join(import.meta.dirname, "../../fixtures/out/installer/clean/installer.tar");

/** make-initramfs.sh's record: offset, length and compression of each segment as appended, and `cpio -it` of it. */
function expected(name: string) {
  return readFileSync(join(dir, `${name}.expected`), "utf8")
    .trim()
    .split("\n")
    .map((l) => {
      const [offset, length, compression, entries] = l.split(" ");
      return { offset: Number(offset), length: Number(length), compression, entries: (entries ?? "").split(",") };
    });
}

const DECOMPRESS: Record<string, string> = {
  none: "cat",
  zstd: "zstd -q -dc",
  xz: "xz -dc",
  gzip: "gzip -dc",
  "lz4-legacy": "lz4 -q -dc",
};

/** One segment's bytes run through the real decompressor and `cpio`: `cpio -it`, or one entry's sha256. */
function cli(img: string, seg: Segment, cpio: string): string {
  return execSync(
    `tail -c +${seg.offset + 1} '${img}' | head -c ${seg.length} | ${DECOMPRESS[seg.compression]} | cpio --quiet ${cpio}`,
    { encoding: "utf8", maxBuffer: 256 << 20, shell: "/bin/bash" },
  );
}

async function bodies(img: string) {
  const out = new Map<string, string>();
  const src = await FileSource.open(img);
  try {
    for await (const { segment, entry } of readInitramfs(src)) {
      if (!entry.name.endsWith(".sqsh") && entry.name !== "extensions.yaml") continue;
      const h = createHash("sha256");
      for await (const part of entry.body()) h.update(part);
      out.set(`${segment.index}:${entry.name}`, h.digest("hex"));
    }
  } finally {
    await src.close();
  }
  return out;
}

describe("listInitramfs on images assembled like Talos' imager", () => {
  it.each(["talos", "zstd-ext", "gzip", "lz4", "padded"])(
    "%s: segments and entries as the tools made them",
    async (name) => {
      const src = await FileSource.open(join(dir, `${name}.img`));
      const ours = await listInitramfs(src);
      const bytes = readFileSync(join(dir, `${name}.img`));
      await src.close();
      const want = expected(name);
      expect(ours.map((s) => [s.offset, s.compression, s.entries.map((e) => e.name)])).toEqual(
        want.map((w) => [w.offset, w.compression, w.entries]),
      );
      ours.forEach((s, i) => {
        const w = want[i] as (typeof want)[number];
        if (s.compression !== "none") expect(s.length).toBe(w.length);
        else {
          // A raw archive ends at its trailer; GNU cpio's padding to 512 bytes is NULs the kernel skips.
          expect(s.length).toBeLessThanOrEqual(w.length);
          expect(bytes.subarray(s.offset + s.length, w.offset + w.length).every((b) => b === 0)).toBe(true);
        }
      });
    },
  );

  it("streams entry bodies out of compressed segments, equal to what cpio extracts", async () => {
    const img = join(dir, "talos.img");
    const segs = await listInitramfs(new BufferSource("talos.img", readFileSync(img)));
    const ours = await bodies(img);
    expect([...ours.keys()]).toEqual(["1:rootfs.sqsh", "2:000.nvidia.sqsh", "2:extensions.yaml"]);
    for (const [key, sha] of ours) {
      const [index, name] = key.split(":") as [string, string];
      const seg = segs[Number(index)] as Segment;
      const theirs = createHash("sha256")
        .update(
          execSync(
            `tail -c +${seg.offset + 1} '${img}' | head -c ${seg.length} | ${DECOMPRESS[seg.compression]} | cpio --quiet -i --to-stdout '${name}'`,
            { maxBuffer: 256 << 20, shell: "/bin/bash" },
          ),
        )
        .digest("hex");
      expect([key, sha]).toEqual([key, theirs]);
    }
  });

  it("garbage after the last member is the kernel's 'invalid magic' with its offset", async () => {
    const bytes = readFileSync(join(dir, "garbage.img"));
    const at = readFileSync(join(dir, "talos.img")).length;
    await expect(listInitramfs(new BufferSource("garbage.img", bytes))).rejects.toThrow(
      `garbage.img: offset ${at} (initramfs member): expected a cpio archive or compressed data, found invalid magic`,
    );
  });

  it("garbage between members is refused at its offset", async () => {
    const bytes = readFileSync(join(dir, "garbage-mid.img"));
    const at = Number(readFileSync(join(dir, "garbage-mid.at"), "utf8"));
    await expect(listInitramfs(new BufferSource("garbage-mid.img", bytes))).rejects.toThrow(
      `garbage-mid.img: offset ${at} (initramfs member)`,
    );
  });

  it("a truncated member is a FormatError", async () => {
    const bytes = readFileSync(join(dir, "truncated.img"));
    await expect(listInitramfs(new BufferSource("truncated.img", bytes))).rejects.toThrow(FormatError);
  });
});

describe("the installer's initramfs.xz", () => {
  let work: string;
  let img: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "initramfs-"));
    img = join(work, "initramfs.xz");
    const manifest = JSON.parse(execFileSync("tar", ["-xOf", installer, "manifest.json"], { encoding: "utf8" }));
    const layer = execFileSync("tar", ["-xOf", installer, manifest[0].Layers[0]], { maxBuffer: 1 << 30 });
    writeFileSync(
      img,
      execFileSync("tar", ["-xOf", "-", "usr/install/amd64/initramfs.xz"], { input: layer, maxBuffer: 1 << 30 }),
    );
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("splits into segments that the real decompressors and cpio read exactly, NULs between them", async () => {
    const bytes = readFileSync(img);
    const segs = await listInitramfs(new BufferSource("initramfs.xz", bytes));
    expect(segs.length).toBeGreaterThan(1);
    let end = 0;
    for (const seg of segs) {
      expect(bytes.subarray(end, seg.offset).every((b) => b === 0)).toBe(true);
      // The CLI fails on a slice cut short or carrying another member's bytes.
      const names = cli(img, seg, "-it").trim().split("\n");
      expect(seg.entries.map((e) => e.name)).toEqual(names);
      end = seg.offset + seg.length;
    }
    expect(bytes.subarray(end).every((b) => b === 0)).toBe(true);
  });

  it("reads every .sqsh body as cpio extracts it", async () => {
    const segs = await listInitramfs(new BufferSource("initramfs.xz", readFileSync(img)));
    const ours = await bodies(img);
    expect([...ours.keys()].some((k) => k.endsWith("rootfs.sqsh"))).toBe(true);
    for (const [key, sha] of ours) {
      const [index, name] = key.split(":") as [string, string];
      const seg = segs[Number(index)] as Segment;
      const theirs = execSync(
        `tail -c +${seg.offset + 1} '${img}' | head -c ${seg.length} | ${DECOMPRESS[seg.compression]} | cpio --quiet -i --to-stdout '${name}' | sha256sum`,
        { encoding: "utf8", maxBuffer: 1 << 20, shell: "/bin/bash" },
      );
      expect([key, sha]).toEqual([key, theirs.split(" ")[0]]);
    }
  });
});
