/**
 * The one error type every reader throws for bad input: it names the file, the byte offset and the
 * structure being read, and says what was expected, so a user can find the fault with a hex dump.
 */
export class FormatError extends Error {
  override readonly name = "FormatError";
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly structure: string,
    readonly expected: string,
    readonly found?: string,
  ) {
    super(
      `${file}: offset ${offset} (${structure}): expected ${expected}${found === undefined ? "" : `, found ${found}`}`,
    );
  }
}

/** Thrown when an input would need more memory than the configured limit allows. */
export class LimitError extends Error {
  override readonly name = "LimitError";
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly what: string,
    readonly limit: number,
    readonly requested: number,
  ) {
    super(`${file}: offset ${offset} (${what}): needs ${requested} bytes, over the limit of ${limit}`);
  }
}
