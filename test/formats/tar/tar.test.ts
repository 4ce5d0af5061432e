import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { modeString } from "../../../src/cli/inspect.js";
import type { TarEntry } from "../../../src/formats/tar/entry.js";
import { BLOCK } from "../../../src/formats/tar/header.js";
import { UnsafePathError } from "../../../src/formats/tar/path.js";
import { readTar } from "../../../src/formats/tar/reader.js";
import { walkTar } from "../../../src/formats/tar/walk.js";
import { FormatError } from "../../../src/io/errors.js";
import { BufferSource, FileSource } from "../../../src/io/source.js";
import {
  bash,
  type GnuMember,
  gnuList,
  type Layout,
  layerXattrs,
  pyOffsets,
  run,
  runText,
  scratch,
  unpackLayout,
} from "../oci/tools.js";

/** The five layer tars of the fixture image, stored uncompressed in oci-plain.tar. */
let layout: Layout;
let layers: string[];
let work: string;
beforeAll(() => {
  layout = unpackLayout("oci-plain.tar");
  layers = layout.manifest.layers.map((l) => layout.blob(l.digest));
  work = scratch("tar-");
});
afterAll(() => run("rm", ["-rf", layout.dir, work]));

async function* chunks(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

async function list(bytes: Uint8Array, name = "layer.tar", chunk = 4096): Promise<TarEntry[]> {
  const out: TarEntry[] = [];
  for await (const { entry } of readTar(chunks(bytes, chunk), name)) out.push(entry);
  return out;
}

/** Our entry in GNU tar's terms: ls mode (h for hard links), size or major,minor, path, link. */
const asGnu = (e: TarEntry): GnuMember => ({
  mode: modeString(e.type, e.mode),
  uid: e.uid,
  gid: e.gid,
  size: e.type === "char" || e.type === "block" ? `${e.devmajor},${e.devminor}` : String(e.size),
  path: e.path,
  ...(e.linkTarget !== undefined ? { link: e.linkTarget } : {}),
});

describe("readTar against GNU tar", () => {
  it("lists every member of every layer as `tar -tv` does: type, mode, owner, size, device, name, link", async () => {
    for (const file of layers) {
      const ours = await list(readFileSync(file), file, 777); // odd chunks: headers straddle reads
      expect(ours.map(asGnu)).toEqual(gnuList(file));
      expect(ours.map((e) => ({ path: e.path, offset: e.startOffset, dataOffset: e.dataOffset }))).toEqual(
        pyOffsets(file),
      );
    }
  });

  it("covers PAX path records, GNU long names and long link targets, devices, fifos, hard links", async () => {
    const all = (await Promise.all(layers.map((f) => list(readFileSync(f))))).flat();
    expect(all.filter((e) => e.path.length > 255).length).toBeGreaterThan(0);
    expect(all.some((e) => e.type === "symlink" && (e.linkTarget?.length ?? 0) > 100)).toBe(true);
    expect(new Set(all.map((e) => e.type))).toEqual(
      new Set(["dir", "file", "hardlink", "symlink", "char", "block", "fifo"]),
    );
  });

  it("reads SCHILY.xattr records as bytes, as GNU tar restores them (security.capability included)", async () => {
    let seen = 0;
    for (const file of layers) {
      const expected = layerXattrs(file);
      for (const e of await list(readFileSync(file))) {
        const gnu = expected.get(e.path) ?? new Map<string, string>();
        const ours = new Map([...e.xattrs].map(([k, v]) => [k, Buffer.from(v).toString("hex")]));
        expect({ path: e.path, xattrs: Object.fromEntries(ours) }).toEqual({
          path: e.path,
          xattrs: Object.fromEntries(gnu),
        });
        seen += ours.size;
      }
    }
    expect(seen).toBeGreaterThanOrEqual(3);
  });

  it("walkTar indexes the same members in place; each file's bytes at dataOffset are what `tar -xO` prints", async () => {
    for (const file of [layers[0] as string, layers[2] as string]) {
      const src = await FileSource.open(file);
      const indexed: TarEntry[] = [];
      for await (const e of walkTar(src)) indexed.push(e);
      expect(indexed.map(asGnu)).toEqual(gnuList(file));
      expect(indexed.map((e) => ({ path: e.path, offset: e.startOffset, dataOffset: e.dataOffset }))).toEqual(
        pyOffsets(file),
      );
      for (const e of indexed.filter((x) => x.type === "file")) {
        const gnu = run("tar", ["-xOf", file, "--no-wildcards", e.path.slice(1)]);
        expect(Buffer.from(await src.read(e.dataOffset, e.size, "test")).equals(gnu)).toBe(true);
      }
      await src.close();
    }
  });

  it("accepts an archive without end blocks, as Go's reader does (GNU tar lists it too)", async () => {
    const bytes = readFileSync(layers[2] as string);
    const all = await list(bytes);
    const last = all[all.length - 1] as TarEntry;
    const cut = bytes.subarray(0, last.dataOffset + Math.ceil(last.size / BLOCK) * BLOCK);
    expect((await list(cut)).map(asGnu)).toEqual(gnuList(cut));
  });

  it("reads its input to the end, past the end blocks and GNU tar's record padding, for a digest wrapped around it", async () => {
    const file = layers[2] as string; // GNU tar's, padded to 10 KiB records
    const bytes = readFileSync(file);
    const nuls = /^block (\d+): \*\* Block of NULs \*\*$/m.exec(runText("tar", ["-tvR", "-f", file]));
    const end = (Number(nuls?.[1]) + 2) * BLOCK;
    expect(bytes.length).toBeGreaterThan(end);
    let read = 0;
    let ended = false;
    async function* counted(): AsyncGenerator<Uint8Array> {
      for await (const c of chunks(bytes, 4096)) {
        read += c.length;
        yield c;
      }
      ended = true;
    }
    for await (const _ of readTar(counted(), file)) void _;
    expect({ read, ended }).toEqual({ read: bytes.length, ended: true });
  });
});

describe("member names", () => {
  /** A tar made by GNU tar: a good member, then one whose name --transform rewrites; that member's offset. */
  function evil(name: string, absolute = false): { bytes: Buffer; offset: number } {
    const file = join(work, `evil-${Buffer.from(name).toString("hex")}.tar`);
    bash(`cd ${work} && mkdir -p src && echo x > src/f && echo ok > src/ok && tar -C src ${absolute ? "-P" : ""} \
      --transform 's,^f$,${name},' -cf ${file} ok f`);
    return { bytes: readFileSync(file), offset: (pyOffsets(file)[1] as { offset: number }).offset };
  }

  it.each([
    ["../x", "dot-dot"],
    ["a/../../x", "dot-dot"],
    ["a/../b", "dot-dot"],
    ["/etc/passwd", "absolute"],
  ])("%s is an UnsafePathError (%s) naming the file and the member's offset", async (name, reason) => {
    const { bytes, offset } = evil(name, name.startsWith("/"));
    const err = await list(bytes, "evil.tar").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsafePathError);
    expect(err).toBeInstanceOf(FormatError);
    expect(err).toMatchObject({ reason, path: name, offset, file: "evil.tar" });
    const indexed = (async () => {
      for await (const _ of walkTar(new BufferSource("evil.tar", bytes))) void _;
    })();
    await expect(indexed).rejects.toMatchObject({ reason, offset });
  });

  it("strips ./ and empty components: GNU tar's ./a//b/ is /a/b and ./ the root", async () => {
    const file = join(work, "dots.tar");
    bash(`cd ${work} && rm -rf d && mkdir -p d/a/b && tar -C d --no-recursion -cf ${file} ./ ./a/ ./a//b/`);
    expect((await list(readFileSync(file))).map((e) => e.path)).toEqual(["/", "/a", "/a/b"]);
  });
});

describe("corrupt and hostile tars", () => {
  /** Layer 2 (GNU format, long names, devices) with one change. */
  const base = () => Buffer.from(readFileSync(layers[2] as string));
  const headerAt = (i: number) => (pyOffsets(layers[2] as string)[i] as { dataOffset: number }).dataOffset - BLOCK;

  function resum(b: Buffer, at: number): void {
    b.fill(0x20, at + 148, at + 156);
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += b[at + i] as number;
    b.write(`${sum.toString(8).padStart(6, "0")}\0 `, at + 148, "latin1");
  }

  it("a changed header byte fails its checksum at that header's offset", async () => {
    const b = base();
    const at = headerAt(3);
    b[at + 10] = (b[at + 10] as number) ^ 1;
    await expect(list(b)).rejects.toMatchObject({ offset: at, structure: "tar header" });
  });

  it("an unknown typeflag (GNU sparse 'S') is refused, naming the member", async () => {
    const b = base();
    const at = headerAt(1);
    b[at + 156] = "S".charCodeAt(0);
    resum(b, at);
    await expect(list(b)).rejects.toMatchObject({ offset: at, structure: "tar header typeflag" });
  });

  it("a GNU long-name entry over 1 MiB is refused before it is read", async () => {
    const b = base();
    const long = pyOffsets(layers[2] as string).find((m) => m.path.length > 100) as { offset: number };
    b.write("00010000001\0", long.offset + 124, "latin1"); // 2 MiB
    resum(b, long.offset);
    await expect(list(b)).rejects.toMatchObject({ offset: long.offset, structure: "tar meta entry" });
  });

  it("a broken PAX record length is a FormatError inside the PAX data", async () => {
    const b = Buffer.from(readFileSync(layers[0] as string));
    const pax = (await list(b)).find((e) => e.startOffset !== e.headerOffset) as TarEntry;
    b.write("x", pax.startOffset + BLOCK, "latin1");
    await expect(list(b)).rejects.toMatchObject({ offset: pax.startOffset + BLOCK, structure: "PAX record" });
  });

  it("a zero block followed by a header is refused", async () => {
    const b = base();
    b.fill(0, 0, BLOCK);
    await expect(list(b)).rejects.toMatchObject({ offset: BLOCK, structure: "tar end" });
  });

  it("every truncation lists a prefix or fails with a FormatError; none hangs or throws anything else", async () => {
    const b = base();
    const full = await list(b);
    for (let cut = 1; cut < b.length; cut += 97) {
      const got = await list(b.subarray(0, cut)).catch((e: unknown) => e);
      if (got instanceof Error) expect(got).toBeInstanceOf(FormatError);
      else expect(full.slice(0, (got as TarEntry[]).length)).toEqual(got);
    }
  });

  it("random byte changes give entries or a FormatError, never another error", async () => {
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    for (let i = 0; i < 300; i++) {
      const b = base();
      for (let k = 0; k < 4; k++) b[rand() % b.length] = rand() % 256;
      const got = await list(b).catch((e: unknown) => e);
      if (got instanceof Error) expect(got).toBeInstanceOf(FormatError);
    }
  });

  it("streams each body exactly its size, whatever the chunking", async () => {
    const b = base();
    let bytes = 0;
    for await (const { body } of readTar(chunks(b, 512), "layer")) for await (const part of body) bytes += part.length;
    expect(bytes).toBe((await list(b)).reduce((n, e) => n + e.size, 0));
  });
});
