import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { setNonZeroPages } from "../../src/io/zero-pages.js";

const PAGE = 4096;

/** Debian's vmlinux, as `xz -dc` decodes the payload its bzImage setup header points at. */
function debianVmlinux(): Uint8Array {
  const image = readFileSync(join(import.meta.dirname, "../fixtures/out/debian-kernel/vmlinuz"));
  const setupEnd = ((image[0x1f1] as number) || 4) * 512 + 512;
  const at = setupEnd + image.readUInt32LE(0x248);
  const payload = image.subarray(at, at + image.readUInt32LE(0x24c));
  return new Uint8Array(execFileSync("xz", ["-dc", "--single-stream"], { input: payload, maxBuffer: 1 << 30 }));
}

describe("setNonZeroPages", () => {
  it("copies a real vmlinux in unaligned parts, skipping exactly its zero pages", () => {
    const vmlinux = debianVmlinux();
    // Filled with a byte no skipped page can hold, so a page left alone shows.
    const into = new Uint8Array(vmlinux.length).fill(0xa5);
    for (let at = 0; at < vmlinux.length; at += 100_003) {
      setNonZeroPages(into, vmlinux.subarray(at, at + 100_003), at);
    }
    let skipped = 0;
    for (let p = 0; p < vmlinux.length; p += PAGE) {
      const theirs = Buffer.from(vmlinux.subarray(p, p + PAGE));
      const ours = Buffer.from(into.subarray(p, p + PAGE));
      const zero = theirs.length === PAGE && theirs.every((b) => b === 0);
      if (zero && ours.every((b) => b === 0xa5)) skipped++;
      else expect(ours.equals(theirs), `page at ${p}`).toBe(true);
    }
    // About half of a vmlinux is whole zero pages.
    expect(skipped).toBeGreaterThan(vmlinux.length / PAGE / 4);
  });
});
