import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { FormatError, LimitError } from "../../io/errors.js";
import type { Position } from "./input.js";

/**
 * A gzip stream (members back to back) decoded as it is read, through Node's zlib stream: it makes 16 KiB of
 * output at a time and waits while that is not taken, so its output stays small whatever the ratio.
 */
export async function* gzipStream(
  input: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  name: string,
  at: Position,
): AsyncGenerator<Uint8Array> {
  const gunzip = createGunzip();
  // How much input has been handed to zlib, which reports only how much it has consumed.
  let fed = 0;
  const src = Readable.from(
    (async function* () {
      for await (const chunk of input) {
        fed += chunk.length;
        yield chunk;
      }
    })(),
    { highWaterMark: 1 },
  );
  src.on("error", (err) => gunzip.destroy(err));
  try {
    for await (const chunk of src.pipe(gunzip) as AsyncIterable<Uint8Array>) {
      at.offset = gunzip.bytesWritten;
      yield chunk;
    }
  } catch (err) {
    if (err instanceof FormatError || err instanceof LimitError) throw err;
    at.offset = gunzip.bytesWritten;
    if ((err as NodeJS.ErrnoException).code === "Z_BUF_ERROR") {
      throw new FormatError(name, at.offset, "gzip stream", "the rest of the stream", `end of input at ${fed}`);
    }
    // zlib stops at the step that failed, which began at `at.offset`; the fault lies in what it was given.
    const where = fed > at.offset ? ` within offsets ${at.offset}..${fed}` : "";
    throw new FormatError(name, at.offset, "gzip stream", "valid gzip data", `${(err as Error).message}${where}`);
  } finally {
    src.destroy();
    gunzip.destroy();
  }
}
