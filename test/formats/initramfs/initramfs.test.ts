import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FormatError } from "../../../src/errors.js";
import { listInitramfs, segmentEntries, splitInitramfs } from "../../../src/formats/initramfs/index.js";
import { BufferSource, FileSource } from "../../../src/io/source.js";

const dir = join(import.meta.dirname, "../../fixtures/out/initramfs");

/** make-initramfs.sh's record: offset, length and compression of each part as appended, and `cpio -it` of it. */
function expected(name: string) {
  return readFileSync(join(dir, `${name}.expected`), "utf8")
    .trim()
    .split("\n")
    .map((l) => {
      const [offset, length, compression, entries] = l.split(" ");
      return { offset: Number(offset), length: Number(length), compression, entries: (entries ?? "").split(",") };
    });
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

  it("streams an entry's body out of a compressed segment", async () => {
    const src = new BufferSource("talos.img", readFileSync(join(dir, "talos.img")));
    const [, , ext] = await splitInitramfs(src);
    let yaml = "";
    for await (const { entry, body } of segmentEntries(src, ext as NonNullable<typeof ext>)) {
      if (entry.name !== "extensions.yaml") continue;
      for await (const part of body) yaml += new TextDecoder().decode(part);
    }
    expect(yaml).toBe("layers:\n  - image: 000.nvidia.sqsh\n");
  });

  it("garbage after the last member is the kernel's 'invalid magic' with its offset", async () => {
    const bytes = readFileSync(join(dir, "garbage.img"));
    const at = readFileSync(join(dir, "talos.img")).length;
    await expect(listInitramfs(new BufferSource("garbage.img", bytes))).rejects.toThrow(
      `garbage.img: offset ${at} (initramfs member): expected a cpio archive or compressed data, found invalid magic`,
    );
  });

  it("a truncated member is a FormatError", async () => {
    const bytes = readFileSync(join(dir, "truncated.img"));
    await expect(listInitramfs(new BufferSource("truncated.img", bytes))).rejects.toThrow(FormatError);
  });
});
