/** A CLI command: parses its own flags, calls the library, renders, and returns the exit code. */
export interface Command {
  readonly name: string;
  /** One line for `talos-ext --help`. */
  readonly summary: string;
  /** The full usage text for `talos-ext NAME --help`. */
  readonly usage: string;
  run(argv: string[]): Promise<number>;
}

/** Exit codes shared by every command: 0 clean, 1 findings at or above the threshold, 2 unusable input. */
export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_INPUT = 2;
