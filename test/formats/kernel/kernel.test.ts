import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readKernelImage } from "../../../src/formats/kernel/index.js";
import { BufferSource } from "../../../src/io/source.js";

const debian = join(import.meta.dirname, "../../fixtures/out/debian-kernel");
const tiny = join(import.meta.dirname, "../../fixtures/committed/tiny-kernel");

describe("readKernelImage", () => {
  it.each([
    ["Debian's bzImage (xz with BCJ)", debian, "xz"],
    ["the tiny kernel (zstd, like Talos')", tiny, "zstd"],
  ])("%s: release as `file` reads it from the setup header, payload compression", async (_n, dir, compression) => {
    const image = await readKernelImage(new BufferSource("vmlinuz", readFileSync(join(dir, "vmlinuz"))));
    const file = execFileSync("file", ["-b", join(dir, "vmlinuz")], { encoding: "utf8" });
    expect(file).toContain(`version ${image.release} `);
    expect(image.release).toBe(readFileSync(join(dir, "release"), "utf8").trim());
    expect(image.compression).toBe(compression);
    expect(image.certificates.length).toBeGreaterThan(0);
  });

  it("finds the signing certificate openssl reads from the key the tiny kernel was built with", async () => {
    const image = await readKernelImage(new BufferSource("vmlinuz", readFileSync(join(tiny, "vmlinuz"))));
    const der = join(tiny, "signing_key.x509");
    const text = execFileSync(
      "openssl",
      ["x509", "-inform", "DER", "-in", der, "-noout", "-serial", "-subject", "-nameopt", "RFC2253"],
      {
        encoding: "utf8",
      },
    );
    const c = image.certificates[0];
    expect(c?.serial.replaceAll(":", "")).toBe(/serial=([0-9A-F]+)/.exec(text)?.[1]);
    expect(c?.subject.split(", ").reverse().join(",")).toBe(/subject=(.*)/.exec(text)?.[1]);
  });

  it("a header whose payload lies outside the file is a FormatError naming the field", async () => {
    const b = Buffer.from(readFileSync(join(tiny, "vmlinuz")));
    b.writeUInt32LE(b.length * 2, 0x24c);
    await expect(readKernelImage(new BufferSource("bad", b))).rejects.toThrow(/bad: offset 584 \(kernel payload\)/);
  });

  it("a file that is no kernel", async () => {
    await expect(readKernelImage(new BufferSource("x", new Uint8Array(4096)))).rejects.toThrow(/`HdrS`/);
  });
});
