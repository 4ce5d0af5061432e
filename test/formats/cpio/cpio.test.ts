import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { modeString } from "../../../src/cli/inspect.js";
import { FormatError } from "../../../src/errors.js";
import { type CpioEntry, readCpio } from "../../../src/formats/cpio/reader.js";
import { writeCpio } from "../../../src/formats/cpio/writer.js";
import { StreamReader } from "../../../src/io/stream-reader.js";

const dir = join(import.meta.dirname, "../../fixtures/out/cpio");

async function list(bytes: Uint8Array, name: string, readBodies = false) {
  const out: { entry: CpioEntry; sha?: string }[] = [];
  const gen = readCpio(new StreamReader([bytes], name), name);
  for (let r = await gen.next(); !r.done; r = await gen.next()) {
    if (!readBodies) out.push({ entry: r.value.entry });
    else {
      const h = createHash("sha256");
      for await (const part of r.value.body) h.update(part);
      out.push({ entry: r.value.entry, sha: h.digest("hex") });
    }
  }
  return out;
}

/** `cpio -itv --numeric-uid-gid` lines: mode, links, uid, gid, size or "major, minor", date, name [-> target]. */
function gnuListing(text: string) {
  return text
    .trim()
    .split("\n")
    .map((line) => {
      const m = /^(\S{10})\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+,\s+\d+|\d+) \w+ +\d+ +[\d:]+ (.*?)(?: -> (.*))?$/.exec(line);
      if (m === null) throw new Error(`unparsed cpio line: ${line}`);
      return {
        mode: m[1],
        nlink: Number(m[2]),
        uid: Number(m[3]),
        gid: Number(m[4]),
        size: m[5]?.replace(/\s+/g, " "),
        name: m[6],
        target: m[7],
      };
    });
}

describe("readCpio against GNU cpio", () => {
  it.each(["newc", "crc"])("%s: every entry as `cpio -itv` lists it", async (fmt) => {
    const bytes = readFileSync(join(dir, `${fmt}.cpio`));
    const ours = await list(bytes, `${fmt}.cpio`, true);
    const gnu = gnuListing(readFileSync(join(dir, `${fmt}.list`), "utf8"));
    expect(
      ours.map(({ entry: e }) => ({
        mode: modeString(e.type === "socket" ? "socket" : e.type, e.mode),
        nlink: e.nlink,
        uid: e.uid,
        gid: e.gid,
        size: e.type === "char" || e.type === "block" ? `${e.rdevmajor}, ${e.rdevminor}` : String(e.size),
        name: e.name,
        target: e.linkTarget,
      })),
    ).toEqual(gnu);
    expect(ours.every(({ entry }) => entry.format === fmt)).toBe(true);
  });

  it("file contents equal what `cpio -id` extracts", async () => {
    const bytes = readFileSync(join(dir, "newc.cpio"));
    const work = mkdtempSync(join(tmpdir(), "cpio-"));
    try {
      execFileSync("cpio", ["--quiet", "-id"], { cwd: work, input: bytes });
      for (const { entry, sha } of await list(bytes, "newc.cpio", true)) {
        if (entry.type !== "file" || entry.size === 0) continue;
        expect(sha).toBe(
          createHash("sha256")
            .update(readFileSync(join(work, entry.name)))
            .digest("hex"),
        );
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it("a crc archive whose data changed fails its checksum", async () => {
    const bytes = Buffer.from(readFileSync(join(dir, "crc.cpio")));
    const entries = await list(bytes, "crc.cpio");
    const hello = entries.find((e) => e.entry.name === "dir/hello")?.entry as CpioEntry;
    bytes.writeUInt8((bytes[hello.dataOffset] as number) ^ 0xff, hello.dataOffset);
    await expect(list(bytes, "crc.cpio", true)).rejects.toThrow(/crc of dir\/hello/);
  });

  it("a huge namesize is refused before anything is allocated", async () => {
    const bytes = Buffer.from(readFileSync(join(dir, "newc.cpio")));
    bytes.write("FFFFFFFF", 94, "latin1");
    await expect(list(bytes, "newc.cpio")).rejects.toThrow(/offset 94 \(cpio namesize\)/);
  });

  it("truncation is a FormatError with the offset", async () => {
    const bytes = readFileSync(join(dir, "newc.cpio")).subarray(0, 5000);
    await expect(list(bytes, "cut.cpio", true)).rejects.toThrow(FormatError);
  });
});

describe("writeCpio", () => {
  it("writes what GNU cpio lists and extracts", () => {
    const archive = writeCpio([
      { name: "etc", type: "dir", mode: 0o755 },
      { name: "etc/extensions.yaml", type: "file", mode: 0o644, data: "layers: []\n" },
      { name: "link", type: "symlink", mode: 0o777, data: "etc/extensions.yaml" },
    ]);
    expect(archive.length % 512).toBe(0);
    const listing = gnuListing(
      execFileSync("cpio", ["--quiet", "-itv", "--numeric-uid-gid"], { input: archive, encoding: "utf8" }),
    );
    expect(listing.map((l) => [l.mode, l.name, l.size, l.target])).toEqual([
      ["drwxr-xr-x", "etc", "0", undefined],
      ["-rw-r--r--", "etc/extensions.yaml", "11", undefined],
      ["lrwxrwxrwx", "link", "19", "etc/extensions.yaml"],
    ]);
    const work = mkdtempSync(join(tmpdir(), "cpiow-"));
    try {
      execFileSync("cpio", ["--quiet", "-id"], { cwd: work, input: archive });
      expect(readFileSync(join(work, "etc/extensions.yaml"), "utf8")).toBe("layers: []\n");
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
