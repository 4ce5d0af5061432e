/**
 * Run by bomb.test.ts, built by tsc, in a process of its own so that its peak memory is the decoder's.
 * Usage: node bomb-child.js FILE KIND BACKEND LIMIT
 * Decodes FILE from disk in the 1 MiB chunks the readers use, keeping the output as decompressBuffer does, or
 * with KIND `gzip-member` only measures the gzip member as the initramfs splitter does; prints how that ended
 * and the peak RSS as one line of JSON.
 */

import { decompressStream } from "../../../src/formats/compress/decompress.js";
import type { Compression } from "../../../src/formats/compress/magic.js";
import { memberLength } from "../../../src/formats/initramfs/members.js";
import { FormatError, LimitError } from "../../../src/io/errors.js";
import { FileSource, streamSource } from "../../../src/io/source.js";

const [file = "", kind = "", backend, limit] = process.argv.slice(2);
const src = await FileSource.open(file);
let result: object;
try {
  if (kind === "gzip-member") {
    result = { length: await memberLength("gzip", src, 0) };
  } else {
    const opts = {
      name: file,
      maxOutput: Number(limit),
      zstd: backend as "native" | "fzstd",
      lz4: backend as "native" | "js",
    };
    const kept: Uint8Array[] = [];
    for await (const chunk of decompressStream(kind as Compression, streamSource(src), opts)) kept.push(chunk);
    result = { output: kept.reduce((n, c) => n + c.length, 0) };
  }
} catch (err) {
  if (!(err instanceof FormatError || err instanceof LimitError)) throw err;
  result = { error: err.name, ...err, message: err.message };
} finally {
  await src.close();
}
process.stdout.write(`${JSON.stringify({ ...result, maxRSS: process.resourceUsage().maxRSS * 1024 })}\n`);
