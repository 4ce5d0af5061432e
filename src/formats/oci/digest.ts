import { createHash, type Hash } from "node:crypto";
import { FormatError } from "../../errors.js";

/** `sha256:<hex>` digests only: the one algorithm image archives use in practice. */
export function parseDigest(digest: string, file: string): string {
  const m = /^sha256:([0-9a-f]{64})$/.exec(digest);
  if (m === null) throw new FormatError(file, 0, "descriptor digest", "sha256:<64 hex digits>", JSON.stringify(digest));
  return m[1] as string;
}

export interface Expected {
  readonly hex: string;
  readonly size?: number;
}

/**
 * Hashes a stream as a consumer reads it. `finish` reads whatever the consumer left (a decoder that stopped
 * early, or failed) and then compares size and sha256, so a corrupt blob is reported as a digest mismatch
 * rather than as whatever the decoder made of it.
 */
export class DigestCheck {
  private readonly hash: Hash = createHash("sha256");
  private readonly it: AsyncIterator<Uint8Array>;
  private size = 0;

  constructor(
    input: AsyncIterable<Uint8Array>,
    private readonly expect: Expected,
    private readonly file: string,
    private readonly what: string,
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
    if (this.expect.size !== undefined && this.size !== this.expect.size) {
      throw new FormatError(
        this.file,
        0,
        this.what,
        `${this.expect.size} bytes as its descriptor says`,
        `${this.size}`,
      );
    }
    const got = this.hash.digest("hex");
    if (got !== this.expect.hex)
      throw new FormatError(this.file, 0, this.what, `sha256:${this.expect.hex}`, `sha256:${got}`);
  }
}

/** The same check for a blob already in memory. */
export function checkDigest(bytes: Uint8Array, expect: Expected, file: string, what: string): void {
  if (expect.size !== undefined && bytes.length !== expect.size) {
    throw new FormatError(file, 0, what, `${expect.size} bytes as its descriptor says`, `${bytes.length}`);
  }
  const got = createHash("sha256").update(bytes).digest("hex");
  if (got !== expect.hex) throw new FormatError(file, 0, what, `sha256:${expect.hex}`, `sha256:${got}`);
}
