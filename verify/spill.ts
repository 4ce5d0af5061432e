/**
 * A SquashFS inside a compressed initramfs segment is read at random, but the segment only streams: it is
 * written to a temporary file as it passes, read from there with the page cache's help, and removed. Memory
 * stays at one chunk of the stream, whatever the image's size.
 */
import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FormatError } from "../src/io/errors.js";
import { type ByteSource, FileSource, SliceSource } from "../src/io/source.js";

/** `use` given the `size` bytes of `body` as a source named `location`; the file is gone when it returns. */
export async function spilled<T>(
  body: AsyncIterable<Uint8Array>,
  size: number,
  location: string,
  use: (src: ByteSource) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "talos-ext-"));
  try {
    const path = join(dir, "member");
    const out = await open(path, "w");
    let at = 0;
    try {
      for await (const part of body) {
        if (at + part.length > size) throw new FormatError(location, at, "file body", `${size} bytes`, "more");
        await out.write(part);
        at += part.length;
      }
    } finally {
      await out.close();
    }
    if (at !== size) throw new FormatError(location, at, "file body", `${size} bytes`, `${at}`);
    const src = await FileSource.open(path);
    try {
      return await use(new SliceSource(src, 0, size, location));
    } finally {
      await src.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
