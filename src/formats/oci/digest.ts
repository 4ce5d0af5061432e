import { createHash, type Hash } from "node:crypto";
import { FormatError } from "../../io/errors.js";

/** `sha256:<hex>` digests only: the one algorithm image archives use in practice. */
export function parseDigest(digest: string, file: string, offset = 0): string {
  const m = /^sha256:([0-9a-f]{64})$/.exec(digest);
  if (m === null)
    throw new FormatError(file, offset, "descriptor digest", "sha256:<64 hex digits>", JSON.stringify(digest));
  return m[1] as string;
}

/** What a blob must be, and how to name it in an error: the archive, the blob's offset in it, what it is. */
export interface Expected {
  readonly hex: string;
  readonly size?: number;
  readonly file: string;
  readonly offset: number;
  readonly what: string;
}

/** Throws unless `size` bytes hashing to `hex` are what `e` expects. */
export function compare(e: Expected, size: number, hex: string): void {
  if (e.size !== undefined && size !== e.size) {
    throw new FormatError(e.file, e.offset, e.what, `${e.size} bytes as its descriptor says`, `${size}`);
  }
  if (hex !== e.hex) throw new FormatError(e.file, e.offset, e.what, `sha256:${e.hex}`, `sha256:${hex}`);
}

/**
 * Hashes a stream as a consumer reads it. `finish` reads whatever the consumer left (what a decoder that
 * failed, or stopped at its end marker, did not take) and then compares size and sha256 with each expectation
 * in turn, so a corrupt blob is reported as a digest mismatch rather than as whatever the decoder made of it.
 */
export class DigestCheck {
  private readonly hash: Hash = createHash("sha256");
  private readonly it: AsyncIterator<Uint8Array>;
  private size = 0;

  constructor(
    input: AsyncIterable<Uint8Array>,
    private readonly expect: readonly Expected[],
  ) {
    this.it = input[Symbol.asyncIterator]();
  }

  private async next(): Promise<Uint8Array | undefined> {
    const r = await this.it.next();
    if (r.done) return undefined;
    this.hash.update(r.value);
    this.size += r.value.length;
    return r.value;
  }

  /** The stream, hashed as it passes. */
  async *stream(): AsyncGenerator<Uint8Array> {
    for (let chunk = await this.next(); chunk !== undefined; chunk = await this.next()) yield chunk;
  }

  async finish(): Promise<void> {
    while ((await this.next()) !== undefined) {
      // hashing what the consumer did not read
    }
    const hex = this.hash.digest("hex");
    for (const e of this.expect) compare(e, this.size, hex);
  }
}

/** The same check for a blob already in memory. */
export function checkDigest(bytes: Uint8Array, expect: Expected): void {
  compare(expect, bytes.length, createHash("sha256").update(bytes).digest("hex"));
}
