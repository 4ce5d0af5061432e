/** A CLI command: parses its own flags, calls the library, renders, and returns the exit code. */
export interface Command {
  readonly name: string;
  /** One line for `talos-ext --help`. */
  readonly summary: string;
  /** The full usage text for `talos-ext NAME --help`. */
  readonly usage: string;
  run(argv: string[]): Promise<number>;
}
