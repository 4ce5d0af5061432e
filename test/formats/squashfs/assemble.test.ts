import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blockCodec } from "../../../src/formats/squashfs/codec.js";
import { assembleFile, FragmentBlocks } from "../../../src/formats/squashfs/data.js";
import { SquashFs } from "../../../src/formats/squashfs/reader.js";
import { BufferSource } from "../../../src/io/source.js";
import { bash, run, scratch, sha256 } from "../oci/tools.js";

/**
 * Files assembled on another thread share one cache of decoded fragment blocks per image, which decodes each
 * new block into an evicted one's buffer: files whose tails sit in many fragments, read forwards, backwards and
 * forwards again, must each come out as unsquashfs extracts them, with fragments compressed and stored as is.
 */
let work: string;
beforeAll(() => {
  work = scratch("sqsh-assemble-");
  bash(`cd ${work} && mkdir root
    for i in $(seq 1 60); do head -c $((1000 + i * 37)) /dev/urandom > root/t$i; seq 1 $((i * 200)) > root/s$i; done
    mksquashfs root zstd.sqsh -b 4096 -all-root -noappend -no-progress -comp zstd >/dev/null
    mksquashfs root stored.sqsh -b 4096 -all-root -noappend -no-progress -comp zstd -noF >/dev/null
    unsquashfs -q -d out zstd.sqsh >/dev/null`);
});
afterAll(() => run("rm", ["-rf", work]));

describe("assembling stored files through one fragment cache", () => {
  for (const image of ["zstd.sqsh", "stored.sqsh"]) {
    it(`${image}: every file equals its extraction, whichever fragments were evicted before`, async () => {
      const fs = await SquashFs.open(new BufferSource(image, new Uint8Array(readFileSync(join(work, image)))));
      const codec = await blockCodec(image, "zstd");
      const refs = new Map((await fs.readdir("/")).map((e) => [`/${e.name}`, e.ref]));
      const names = Array.from({ length: 60 }, (_, i) => [`/t${i + 1}`, `/s${i + 1}`]).flat();
      const fragments = new FragmentBlocks();
      const indexes = new Set<number>();
      for (const name of [...names, ...[...names].reverse(), ...names]) {
        const stored = await fs.storedFile(await fs.inode(refs.get(name) as number));
        if (stored.fragment) indexes.add(stored.fragment.index);
        const bytes = assembleFile(stored, codec, undefined, fragments);
        expect(sha256(bytes), name).toBe(sha256(readFileSync(join(work, "out", name))));
      }
      // Far more fragment blocks than the cache keeps, so blocks were evicted and their buffers reused.
      expect(indexes.size).toBeGreaterThan(20);
    });
  }
});
