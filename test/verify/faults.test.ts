/**
 * One bad file is a TE9001 finding and the rest is still read: real modules mutated at their signature
 * trailer, a truncated ld.so.cache, and a SquashFS with one corrupt data block, each beside faults that must
 * still be reported.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openImageArchive } from "../../src/formats/oci/archive.js";
import { writeImageArchive } from "../../src/formats/oci/write.js";
import { SquashFs } from "../../src/formats/squashfs/reader.js";
import { flattenImage } from "../../src/image/image-layers.js";
import { squashfsLayer } from "../../src/image/squashfs-layer.js";
import { streamedSquashfsLayer } from "../../src/image/streamed-squashfs-layer.js";
import { FormatError } from "../../src/io/errors.js";
import { FileSource } from "../../src/io/source.js";
import { runChecks } from "../../src/report/check.js";
import { checks } from "../../verify/checks/index.js";
import { loadModel } from "../../verify/load.js";
import { VerifyPool } from "../../verify/pool.js";
import { scanLayer } from "../../verify/scan.js";

const fixtures = join(import.meta.dirname, "../fixtures/out");
const work = mkdtempSync(join(tmpdir(), "verify-faults-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const MODULES = "usr/lib/modules/6.1.0/extra";

/** A tree of real files: signed modules (one with its id_type set to X509), an unsigned one, ld.so.cache. */
function tree(root: string, opts: { badIdType: boolean; truncatedCache: boolean }): void {
  mkdirSync(join(root, MODULES), { recursive: true });
  mkdirSync(join(root, "etc"), { recursive: true });
  for (const m of ["rsa.ko", "other.ko", "unsigned.ko"])
    copyFileSync(join(fixtures, "signed-modules", m), join(root, MODULES, m));
  const bad = readFileSync(join(fixtures, "signed-modules/rsa.ko"));
  // struct module_signature is the 12 bytes before the 28-byte marker; id_type is its third byte.
  if (opts.badIdType) bad[bad.length - 40 + 2] = 1;
  writeFileSync(join(root, MODULES, "bad.ko"), bad);
  const cache = readFileSync(join(fixtures, "ldcache/new.cache"));
  writeFileSync(join(root, "etc/ld.so.cache"), opts.truncatedCache ? cache.subarray(0, cache.length >> 1) : cache);
}

async function image(name: string, opts: { badIdType: boolean; truncatedCache: boolean }): Promise<string> {
  const root = join(work, name);
  tree(root, opts);
  const layer = join(work, `${name}.layer.tar`);
  execFileSync("tar", ["-C", root, "--sort=name", "--owner=0", "--group=0", "-cf", layer, "."]);
  const digest = `sha256:${execFileSync("sha256sum", [layer], { encoding: "utf8" }).split(" ")[0]}`;
  const dest = join(work, `${name}.tar`);
  await writeImageArchive(
    dest,
    { path: layer, digest, size: statSync(layer).size },
    {
      ref: `faults:${name}`,
      os: "linux",
      architecture: "amd64",
      created: 0,
    },
  );
  return dest;
}

describe("a file that cannot be read", () => {
  it("a module with another signature id type and a truncated ld.so.cache are findings; the rest is judged", async () => {
    const file = await image("bad", { badIdType: true, truncatedCache: true });
    const model = await loadModel([{ role: "installer", file }]);
    const { findings } = await runChecks(checks, model);
    const faults = findings.filter((f) => f.code === "TE9001");
    expect(faults.map((f) => f.path)).toEqual([`${file}!/etc/ld.so.cache`, `${file}!/${MODULES}/bad.ko`]);
    expect(faults[1]?.message).toMatch(
      /offset \d+ \(module_signature id_type\): expected 2 \(PKCS#7\), found 1 \(X509\)/,
    );
    expect(faults[0]?.severity).toBe("error");
    // The other modules are still read: the unsigned one is its own finding, the signed ones wait for a kernel.
    expect(model.artifacts[0]?.modules.map((m) => m.path.replace(/^.*\//, ""))).toEqual([
      "other.ko",
      "rsa.ko",
      "unsigned.ko",
    ]);
    expect(findings.some((f) => f.code === "TE1001" && f.path?.endsWith("/unsigned.ko"))).toBe(true);
  });

  it("the same files unharmed give no TE9001", async () => {
    const file = await image("good", { badIdType: false, truncatedCache: false });
    const { findings } = await runChecks(checks, await loadModel([{ role: "installer", file }]));
    expect(findings.filter((f) => f.code === "TE9001")).toEqual([]);
  });

  it("a SquashFS data block that does not decode is a fault of its file; the other files are read", async () => {
    const root = join(work, "sqsh-root");
    tree(root, { badIdType: false, truncatedCache: false });
    // A module larger than one block, so its first block is a data block of its own.
    const big = join(root, MODULES, "big.ko");
    writeFileSync(
      big,
      Buffer.concat([Buffer.alloc(300 << 10, "a"), readFileSync(join(fixtures, "signed-modules/rsa.ko"))]),
    );
    const sqsh = join(work, "image.sqsh");
    execFileSync("mksquashfs", [root, sqsh, "-comp", "zstd", "-noappend", "-no-progress", "-all-root", "-quiet"]);
    const probe = await FileSource.open(sqsh);
    const fs = await SquashFs.open(probe);
    const inode = await fs.stat(`/${MODULES}/big.ko`);
    const at = inode && (await fs.storedFile(inode)).blocks[0]?.at;
    await probe.close();
    if (at === undefined) throw new Error("big.ko has no data block");
    const bytes = readFileSync(sqsh);
    bytes.fill(0xff, at, at + 16);
    writeFileSync(sqsh, bytes);
    const src = await FileSource.open(sqsh);
    const pool = new VerifyPool();
    try {
      const scan = await scanLayer("rootfs", squashfsLayer(await SquashFs.open(src), "rootfs", "squashfs", sqsh), pool);
      expect(scan.faults.map((f) => [f.path, f.offset, f.structure])).toEqual([
        [`/${MODULES}/big.ko`, at, "data block 0 of a file"],
      ]);
      expect(scan.modules.map((m) => m.path.replace(/^.*\//, ""))).toEqual([
        "bad.ko",
        "other.ko",
        "rsa.ko",
        "unsigned.ko",
      ]);
      expect(scan.modules.find((m) => m.path.endsWith("/unsigned.ko"))?.signed).toBeUndefined();
      expect(scan.caches).toHaveLength(1);
      // Streamed, as a SquashFS too large to hold is read from a compressed segment: the same facts and fault.
      const stream = async function* () {
        for (let at = 0; at < bytes.length; at += 1 << 16) yield new Uint8Array(bytes.subarray(at, at + (1 << 16)));
      };
      const streamed = await streamedSquashfsLayer(stream, bytes.length, 1 << 20, {
        id: "rootfs",
        kind: "squashfs",
        description: sqsh,
      });
      expect(await scanLayer("rootfs", streamed, pool)).toEqual(scan);
    } finally {
      await pool.close();
      await src.close();
    }
  });
});

describe("an artifact that cannot be opened", () => {
  it("a layer whose bytes do not match its digest fails the artifact, listed from its headers, hashed on the pool", async () => {
    const file = await image("digest", { badIdType: false, truncatedCache: false });
    // One byte of a member's data, not a header: the listing succeeds, only the digest tells.
    const bytes = readFileSync(file);
    const at = bytes.indexOf(readFileSync(join(fixtures, "ldcache/new.cache")).subarray(64, 128));
    expect(at).toBeGreaterThan(0);
    bytes[at] = (bytes[at] as number) ^ 0xff;
    writeFileSync(file, bytes);
    const digest = /layer 0 blob sha256:[0-9a-f]{64}\): expected sha256:[0-9a-f]{64}, found sha256:[0-9a-f]{64}/;
    const here = await openImageArchive(file);
    try {
      await expect(flattenImage(here)).rejects.toThrow(digest);
    } finally {
      await here.close();
    }
    const err = await loadModel([{ role: "installer", file }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).file).toBe(file);
    expect((err as Error).message).toMatch(digest);
  });
});
