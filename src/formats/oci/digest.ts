import { createHash } from "node:crypto";
import { FormatError } from "../../errors.js";

/** `sha256:<hex>` digests only: the one algorithm image archives use in practice. */
export function parseDigest(digest: string, file: string): string {
  const m = /^sha256:([0-9a-f]{64})$/.exec(digest);
  if (m === null) throw new FormatError(file, 0, "descriptor digest", "sha256:<64 hex digits>", JSON.stringify(digest));
  return m[1] as string;
}

/**
 * Passes a stream through while hashing it; at its end, the size and sha256 must match the descriptor, or the
 * consumer gets a FormatError naming the blob.
 */
export async function* verified(
  input: AsyncIterable<Uint8Array>,
  expect: { readonly hex: string; readonly size?: number },
  file: string,
  what: string,
): AsyncGenerator<Uint8Array> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of input) {
    hash.update(chunk);
    size += chunk.length;
    yield chunk;
  }
  if (expect.size !== undefined && size !== expect.size) {
    throw new FormatError(file, 0, what, `${expect.size} bytes as its descriptor says`, `${size}`);
  }
  const got = hash.digest("hex");
  if (got !== expect.hex) throw new FormatError(file, 0, what, `sha256:${expect.hex}`, `sha256:${got}`);
}

/** The same check for a blob already in memory. */
export function checkDigest(
  bytes: Uint8Array,
  expect: { readonly hex: string; readonly size?: number },
  file: string,
  what: string,
): void {
  if (expect.size !== undefined && bytes.length !== expect.size) {
    throw new FormatError(file, 0, what, `${expect.size} bytes as its descriptor says`, `${bytes.length}`);
  }
  const got = createHash("sha256").update(bytes).digest("hex");
  if (got !== expect.hex) throw new FormatError(file, 0, what, `sha256:${expect.hex}`, `sha256:${got}`);
}
