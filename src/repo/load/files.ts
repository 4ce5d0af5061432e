/** The repository's files as the loader reads them: what the walk listed, and reads that log their problems. */
import type { FileProblem } from "../model.js";
import { readText } from "../source.js";
import type { RepoTree } from "../walk.js";

export class RepoFiles {
  /** Unreadable files, in the order they were read; the loader adds its parse errors here too. */
  readonly problems: FileProblem[] = [];

  constructor(
    readonly root: string,
    readonly tree: RepoTree,
  ) {}

  /** A regular file or a symlink (which the build follows, so it reads as a file). */
  isFile(path: string): boolean {
    const kind = this.tree.entries.get(path);
    return kind === "file" || kind === "symlink";
  }

  /** The files `keep` selects, in the walk's (sorted) order. */
  list(keep: (path: string) => boolean): string[] {
    return [...this.tree.entries.keys()].filter((p) => keep(p) && this.isFile(p));
  }

  /** The text of `file`, or undefined after logging why it cannot be read. */
  async read(file: string): Promise<string | undefined> {
    const r = await readText(this.root, file);
    if ("problem" in r) {
      this.problems.push(r.problem);
      return undefined;
    }
    return r.text;
  }

  /** Like `read`, for a file that may be absent: absent is not a problem. */
  async readIfFile(file: string): Promise<string | undefined> {
    return this.isFile(file) ? this.read(file) : undefined;
  }
}
