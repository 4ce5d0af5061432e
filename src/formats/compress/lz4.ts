import { createRequire } from "node:module";
import { decompressBlock, decompress as lz4jsFrame } from "lz4js";
import { FormatError, LimitError } from "../../errors.js";

const require = createRequire(import.meta.url);

/** lz4-napi when its platform package installed (it also reads the kernel's legacy format), else lz4js. */
function native(): { decompressFrameSync(b: Buffer): Buffer } | undefined {
  try {
    return require("lz4-napi") as { decompressFrameSync(b: Buffer): Buffer };
  } catch {
    return undefined;
  }
}

/** The legacy format by hand: magic, then blocks of u32 LE length and at most 8 MiB of output each. */
function legacy(bytes: Uint8Array, name: string, max: number): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  let at = 4;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  while (at + 4 <= bytes.length) {
    const len = view.getUint32(at, true);
    // Concatenated archives: a new magic resumes the format; trailing zeros end it.
    if (len === 0x184c2102) {
      at += 4;
      continue;
    }
    if (len === 0) break;
    if (at + 4 + len > bytes.length)
      throw new FormatError(name, at, "lz4 legacy block", `${len} bytes`, "end of input");
    const dst = new Uint8Array(8 << 20);
    const n = decompressBlock(bytes, dst, at + 4, len, 0);
    if (n < 0) throw new FormatError(name, at, "lz4 legacy block", "valid lz4 data");
    total += n;
    if (total > max) throw new LimitError(name, at, "lz4 output", max, total);
    parts.push(dst.subarray(0, n));
    at += 4 + len;
  }
  return Buffer.concat(parts);
}

export function lz4Buffer(
  kind: "lz4-frame" | "lz4-legacy" | string,
  bytes: Buffer,
  name: string,
  max: number,
): Uint8Array {
  const n = native();
  try {
    if (n) return n.decompressFrameSync(bytes);
    return kind === "lz4-legacy" ? legacy(bytes, name, max) : Uint8Array.from(lz4jsFrame(bytes));
  } catch (err) {
    if (err instanceof FormatError || err instanceof LimitError) throw err;
    throw new FormatError(name, 0, `${kind} stream`, `valid ${kind} data`, (err as Error).message);
  }
}
