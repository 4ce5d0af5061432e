/** The files a git range touches, for `--changed-since`: `git diff --name-only REF...HEAD`. */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

export class GitError extends Error {
  override readonly name = "GitError";
}

async function git(root: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run("git", ["-C", root, ...args], { maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === "ENOENT") throw new GitError("git is not installed (needed for --changed-since)");
    throw new GitError(`git ${args.join(" ")}: ${(e.stderr ?? e.message).trim()}`);
  }
}

/**
 * Paths (relative to `root`) changed between the merge base of `ref` and HEAD and HEAD, as a pull request
 * shows them; a rename counts for both names.
 */
export async function changedFiles(root: string, ref: string): Promise<string[]> {
  if (ref.startsWith("-")) throw new GitError(`--changed-since: ${JSON.stringify(ref)} is not a git revision`);
  await git(root, ["rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`]).catch(() => {
    throw new GitError(`--changed-since: ${JSON.stringify(ref)} is not a commit in ${root}`);
  });
  const out = await git(root, ["diff", "--name-only", "--no-renames", "--relative", "-z", `${ref}...HEAD`, "--"]);
  return out.split("\0").filter((p) => p !== "");
}
