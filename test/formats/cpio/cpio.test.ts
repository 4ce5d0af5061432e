import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type CpioEntry, readCpio } from "../../../src/formats/cpio/reader.js";
import { type CpioInput, writeCpio } from "../../../src/formats/cpio/writer.js";
import { StreamReader } from "../../../src/io/stream-reader.js";
import { gnuListing, ourListing } from "./listing.js";

const dir = join(import.meta.dirname, "../../fixtures/out/cpio");

/** Fed in 1000-byte pieces, so headers, names and bodies straddle chunk boundaries. */
function* pieces(bytes: Uint8Array) {
  for (let i = 0; i < bytes.length; i += 1000) yield bytes.subarray(i, i + 1000);
}

/** Entries and, with `readBodies`, each body's sha256; `size` tells the reader the input's length. */
async function list(bytes: Uint8Array, name: string, readBodies = false, size?: number) {
  const out: { entry: CpioEntry; sha?: string }[] = [];
  for await (const { body, ...entry } of readCpio(new StreamReader(pieces(bytes), name, size), name)) {
    if (!readBodies) out.push({ entry });
    else {
      const h = createHash("sha256");
      for await (const part of body()) h.update(part);
      out.push({ entry, sha: h.digest("hex") });
    }
  }
  return out;
}

describe("readCpio against GNU cpio", () => {
  it.each(["newc", "crc"])("%s: every entry as `cpio -itv` lists it", async (fmt) => {
    const bytes = readFileSync(join(dir, `${fmt}.cpio`));
    const ours = await list(bytes, `${fmt}.cpio`, true);
    const gnu = gnuListing(readFileSync(join(dir, `${fmt}.list`), "utf8"));
    expect(ourListing(ours.map((o) => o.entry))).toEqual(gnu);
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

  it("a file size beyond what is left of an input of known length is refused at its header", async () => {
    const bytes = Buffer.from(readFileSync(join(dir, "newc.cpio")));
    // The name follows its 110-byte header.
    const at = bytes.indexOf("dir/hello\0") - 110;
    const hello = (await list(bytes, "newc.cpio")).find((e) => e.entry.name === "dir/hello")?.entry as CpioEntry;
    expect(hello.headerOffset).toBe(at);
    // c_filesize: the seventh 8-digit field after the 6-byte magic.
    bytes.write("FFFFFFFF", at + 6 + 6 * 8, "latin1");
    await expect(list(bytes, "newc.cpio", false, bytes.length)).rejects.toThrow(
      `newc.cpio: offset ${at} (cpio header of "dir/hello"): expected a c_filesize within the ${bytes.length - hello.dataOffset} bytes left, found 4294967295`,
    );
  });

  describe("an archive cut short", () => {
    const whole = readFileSync(join(dir, "newc.cpio"));
    const cut = whole.subarray(0, 5000);
    const gnuSize = gnuListing(readFileSync(join(dir, "newc.list"), "utf8")).find(
      (e) => e.name === "dir/big.bin",
    )?.size;
    const bigBin = async () =>
      (await list(whole, "newc.cpio")).find((e) => e.entry.name === "dir/big.bin")?.entry as CpioEntry;

    it("streamed, fails where the input ends, in the entry it cuts", async () => {
      const big = await bigBin();
      expect([big.dataOffset < 5000, String(big.size)]).toEqual([true, gnuSize]);
      await expect(list(cut, "cut.cpio", true)).rejects.toThrow(
        `cut.cpio: offset 5000 (data of dir/big.bin): expected ${big.dataOffset + big.size - 5000} more bytes, found end of input`,
      );
    });

    it("of known length, fails at the header of the entry it cuts", async () => {
      const big = await bigBin();
      await expect(list(cut, "cut.cpio", true, cut.length)).rejects.toThrow(
        `cut.cpio: offset ${big.headerOffset} (cpio header of "dir/big.bin"): expected a c_filesize within the ${5000 - big.dataOffset} bytes left, found ${gnuSize}`,
      );
    });
  });
});

describe("writeCpio", () => {
  it("writes byte for byte what `cpio --reproducible -H newc -o` writes for the same tree, and `cpio -id` restores it", () => {
    const work = mkdtempSync(join(tmpdir(), "cpiow-"));
    try {
      const tree = join(work, "tree");
      mkdirSync(join(tree, "etc"), { recursive: true });
      mkdirSync(join(tree, "usr/lib/modules"), { recursive: true });
      writeFileSync(join(tree, "etc/extensions.yaml"), "layers: []\n");
      writeFileSync(join(tree, "usr/lib/blob"), randomBytes(3001));
      writeFileSync(join(tree, "empty"), "");
      chmodSync(join(tree, "usr/lib/blob"), 0o755);
      symlinkSync("etc/extensions.yaml", join(tree, "link"));
      execFileSync("sh", ["-c", "find . -mindepth 1 -exec touch -h -d @1700000000 {} +"], { cwd: tree });
      const names = execFileSync("sh", ["-c", "find . -mindepth 1 -printf '%P\\n' | LC_ALL=C sort"], {
        cwd: tree,
        encoding: "utf8",
      })
        .trim()
        .split("\n");
      const inputs: CpioInput[] = names.map((name) => {
        const st = lstatSync(join(tree, name));
        const common = { name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000) };
        if (st.isDirectory()) return { ...common, type: "dir" };
        if (st.isSymbolicLink()) return { ...common, type: "symlink", data: readlinkSync(join(tree, name)) };
        return { ...common, type: "file", data: readFileSync(join(tree, name)) };
      });
      const ours = writeCpio(inputs);
      const gnu = execFileSync(
        "sh",
        ["-c", "find . -mindepth 1 | LC_ALL=C sort | cpio --quiet --reproducible -H newc -o"],
        {
          cwd: tree,
        },
      );
      expect(Buffer.from(ours).equals(gnu)).toBe(true);
      expect(Buffer.from(writeCpio(inputs)).equals(Buffer.from(ours))).toBe(true);

      const out = join(work, "out");
      mkdirSync(out);
      execFileSync("cpio", ["--quiet", "-id", "--preserve-modification-time"], { cwd: out, input: ours });
      for (const e of inputs) {
        const st = lstatSync(join(out, e.name));
        expect([e.name, st.mode & 0o7777]).toEqual([e.name, e.mode]);
        // cpio restores the times of regular files only (a directory's changes as it is filled).
        if (e.type === "dir") {
          expect(st.isDirectory()).toBe(true);
          continue;
        }
        if (e.type === "symlink") expect(readlinkSync(join(out, e.name))).toBe(e.data);
        else {
          expect(readFileSync(join(out, e.name)).equals(e.data as Buffer)).toBe(true);
          expect([e.name, Math.floor(st.mtimeMs / 1000)]).toEqual([e.name, e.mtime]);
        }
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
