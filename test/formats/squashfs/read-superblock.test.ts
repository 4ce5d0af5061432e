import { describe, expect, it } from "vitest";
import { type CompressorOptions, Flag, GzipStrategy, Lz4Flag, XzFilter } from "../../../src/formats/squashfs/format.js";
import { SquashFs } from "../../../src/formats/squashfs/reader.js";
import { flagNames, readSuperblock, type Superblock } from "../../../src/formats/squashfs/superblock.js";
import { FormatError } from "../../../src/io/errors.js";
import { FileSource } from "../../../src/io/source.js";
import { image, superblockReport } from "./read-expected.js";

const IMAGES = [
  "zstd",
  "gzip",
  "gzip-options",
  "xz",
  "xz-bcj",
  "lz4",
  "lz4-hc",
  "lzo",
  "lzma",
  "no-fragments",
  "tailends",
  "always-fragments",
  "all-root",
  "small-blocks",
  "uncompressed",
  "plain",
  "talos",
  "huge",
];

/** The superblock in `unsquashfs -s` wording (squashfs-tools unsquash-4.c / unsquashfs.c). */
function report(sb: Superblock): string[] {
  const f = (flag: number) => (sb.flags & flag) !== 0;
  const state = (uncompressed: number, absent?: number) =>
    absent !== undefined && f(absent) ? "not stored" : f(uncompressed) ? "uncompressed" : "compressed";
  const created = new Date(sb.mkfsTime * 1000).toUTCString(); // "Tue, 14 Nov 2023 22:13:20 GMT"
  const [, day, month, year, time] = /^(\w+), (\d+ \w+) (\d+) (\S+)/.exec(created) as RegExpExecArray;
  const [d, m] = (month as string).split(" ");
  const lines = [
    `Creation or last append time ${day} ${m} ${(d as string).padStart(2, " ")} ${time} ${year}`,
    `Filesystem size ${sb.bytesUsed} bytes (${(sb.bytesUsed / 1024).toFixed(2)} Kbytes / ${(sb.bytesUsed / (1024 * 1024)).toFixed(2)} Mbytes)`,
    `Compression ${sb.compressor}`,
    `Block size ${sb.blockSize}`,
    `Filesystem is ${f(Flag.EXPORTABLE) ? "" : "not "}exportable via NFS`,
    `Inodes are ${state(Flag.INODES_UNCOMPRESSED)}`,
    `Data is ${state(Flag.DATA_UNCOMPRESSED)}`,
    // mksquashfs -noI also stores the id table uncompressed without setting its flag.
    `Uids/Gids (Id table) are ${f(Flag.INODES_UNCOMPRESSED) ? "uncompressed" : state(Flag.IDS_UNCOMPRESSED)}`,
    `Fragments are ${state(Flag.FRAGMENTS_UNCOMPRESSED, Flag.NO_FRAGMENTS)}`,
    ...(f(Flag.NO_FRAGMENTS)
      ? []
      : [`Always-use-fragments option is ${f(Flag.ALWAYS_FRAGMENTS) ? "" : "not "}specified`]),
    `Xattrs are ${state(Flag.XATTRS_UNCOMPRESSED, Flag.NO_XATTRS)}`,
    `Duplicates are ${f(Flag.DUPLICATES) ? "" : "not "}removed`,
    `Number of fragments ${sb.fragmentCount}`,
    `Number of inodes ${sb.inodeCount}`,
    `Number of ids ${sb.idCount}`,
  ];
  return lines;
}

const names = (bits: number, table: Record<string, number>, spelled: Record<string, string> = {}) =>
  Object.entries(table)
    .filter(([, bit]) => bits & bit)
    .map(([n]) => spelled[n] ?? n);

/** Compressor options as unsquashfs prints them (only the settings the fixtures use). */
function optionLines(o: CompressorOptions | undefined): string[] {
  switch (o?.compressor) {
    case undefined:
      return [];
    case "zstd":
      return [`compression-level ${o.level}`];
    case "gzip":
      return [
        `compression-level ${o.level}`,
        `window-size ${o.windowSize}`,
        `Strategies selected: ${names(o.strategies, GzipStrategy, { huffmanOnly: "huffman_only", runLengthEncoded: "run_length_encoded" }).join(", ")}`,
      ];
    case "xz":
      return [`Dictionary size ${o.dictionarySize}`, `Filters selected: ${names(o.filters, XzFilter).join(", ")}`];
    case "lz4":
      return o.flags & Lz4Flag.HC ? ["High Compression option specified (-Xhc)"] : [];
    case "lzo":
      return [];
  }
}

describe("superblock against unsquashfs -s", () => {
  it.each(IMAGES)("%s: fields, flags and compressor options", async (name) => {
    const src = await FileSource.open(image(name));
    try {
      const sb = await readSuperblock(src);
      const tool = superblockReport(image(name));
      const ours = report(sb);
      const skip = /^(Found a valid|Number of xattr ids)/;
      expect(ours).toEqual(tool.lines.filter((l) => !skip.test(l)));
      if (name === "lzo" || name === "lzma") {
        await expect(SquashFs.open(src)).rejects.toThrow(new RegExp(`unsupported compressor ${name}`));
        await expect(SquashFs.open(src)).rejects.toBeInstanceOf(FormatError);
        return;
      }
      const fs = await SquashFs.open(src);
      expect(optionLines(fs.compressorOptions)).toEqual(tool.options);
      // mksquashfs writes an options block exactly when a compressor option is not the default (always for lz4).
      expect(flagNames(sb.flags).includes("COMPRESSOR_OPTIONS")).toBe(fs.compressorOptions !== undefined);
      // Every xattr id is used by some inode (mksquashfs shares one id per distinct set).
      const used = new Set<number>();
      const root = await fs.root();
      if (root.xattrIndex !== undefined) used.add(root.xattrIndex);
      for await (const { inode } of fs.walk()) if (inode.xattrIndex !== undefined) used.add(inode.xattrIndex);
      // unsquashfs prints no count when the image has no xattr table.
      const count = tool.lines.find((l) => l.startsWith("Number of xattr ids")) ?? "Number of xattr ids 0";
      expect(`Number of xattr ids ${used.size}`).toBe(count);
    } finally {
      await src.close();
    }
  });
});
