import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blockCodec } from "../../src/formats/squashfs/codec.js";
import { assembleFile, type StoredFile } from "../../src/formats/squashfs/data.js";
import type { Entry, Layer } from "../../src/image/layer.js";
import { streamedSquashfsLayer } from "../../src/image/streamed-squashfs-layer.js";
import { FormatError } from "../../src/io/errors.js";
import { bash, run, scratch, sha256 } from "../formats/oci/tools.js";

/**
 * An image mksquashfs made with small blocks (files of many blocks, tails packed into shared fragments, a
 * hard link, an empty and a sparse file), read as a stream; unsquashfs's extraction is what every file holds.
 */
let work: string;
let image: Uint8Array;
beforeAll(() => {
  work = scratch("sqsh-stream-");
  bash(`cd ${work} && mkdir -p root/a/b root/c
    head -c 300000 /dev/urandom > root/a/big && head -c 9000 /dev/urandom > root/a/b/small
    for i in 1 2 3 4 5 6 7 8 9; do seq 1 $((i * 300)) > root/c/f$i; done
    ln root/a/big root/c/big-link && : > root/c/empty && truncate -s 20000 root/c/sparse && ln -s ../a/big root/c/sym
    mksquashfs root img.sqsh -b 4096 -all-root -noappend -no-progress -comp zstd >/dev/null
    unsquashfs -q -d out img.sqsh >/dev/null`);
  image = new Uint8Array(readFileSync(join(work, "img.sqsh")));
});
afterAll(() => run("rm", ["-rf", work]));

/** The image in 64 KiB chunks, `cut` bytes of it on the passes after the first. */
function streamer(cut = image.length) {
  let passes = 0;
  return async function* (): AsyncGenerator<Uint8Array> {
    const end = passes++ === 0 ? image.length : cut;
    for (let at = 0; at < end; at += 65536) yield image.subarray(at, Math.min(end, at + 65536));
  };
}

const open = (stream: () => AsyncIterable<Uint8Array>) =>
  streamedSquashfsLayer(stream, image.length, 1 << 20, { id: "img", kind: "squashfs", description: "img.sqsh" });

async function files(layer: Layer): Promise<Entry[]> {
  const out: Entry[] = [];
  for await (const e of layer.entries()) if (e.type === "file") out.push(e);
  return out;
}

describe("a SquashFS image read as a stream", () => {
  it("gives every file as unsquashfs extracts it, through its body and through its stored blocks", async () => {
    const layer = await open(streamer());
    const wanted = await files(layer);
    expect(wanted.map((e) => e.path).sort()).toEqual([
      "/a/b/small",
      "/a/big",
      "/c/big-link",
      "/c/empty",
      ...Array.from({ length: 9 }, (_, i) => `/c/f${i + 1}`),
      "/c/sparse",
    ]);
    const codec = await blockCodec("img.sqsh", "zstd");
    const seen: Record<string, string> = {};
    for await (const { entry, body, stored } of layer.contents(wanted)) {
      const parts: Uint8Array[] = [];
      for await (const p of body) parts.push(p);
      const whole = Buffer.concat(parts);
      const blocks = await stored?.();
      expect(blocks).toBeDefined();
      expect(sha256(assembleFile(blocks as StoredFile, codec))).toBe(sha256(whole));
      seen[entry.path] = sha256(whole);
    }
    const extracted = Object.fromEntries(
      wanted.map((e) => [e.path, sha256(readFileSync(join(work, "out", e.path)))] as const),
    );
    expect(seen).toEqual(extracted);
  });

  it("a stream cut short on the second pass: the files it finished read, the others fail with the offset", async () => {
    const layer = await open(streamer(Math.floor(image.length / 3)));
    const wanted = await files(layer);
    const read: string[] = [];
    const failed: FormatError[] = [];
    for await (const { entry, body } of layer.contents(wanted)) {
      try {
        const parts: Uint8Array[] = [];
        for await (const p of body) parts.push(p);
        expect(sha256(Buffer.concat(parts))).toBe(sha256(readFileSync(join(work, "out", entry.path))));
        read.push(entry.path);
      } catch (err) {
        expect(err).toBeInstanceOf(FormatError);
        failed.push(err as FormatError);
      }
    }
    expect(read.length).toBeGreaterThan(0);
    expect(failed.length).toBeGreaterThan(0);
    expect(read.length + failed.length).toBe(wanted.length);
    for (const f of failed) {
      expect(f.file).toBe("img.sqsh");
      expect(f.offset).toBeGreaterThanOrEqual(0);
    }
  });

  it("an image shorter than its size on the first pass is refused", async () => {
    const cut = async function* () {
      yield image.subarray(0, image.length - 10);
    };
    await expect(open(cut)).rejects.toThrow(/img\.sqsh: offset \d+ \(squashfs image\): expected \d+ bytes/);
  });
});
