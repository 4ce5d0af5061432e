import { lstat, readlink } from "node:fs/promises";
import { join } from "node:path";

/**
 * The host path of `path` inside the tree at `root`, following symbolic links as if `root` were `/` (absolute
 * link targets start again at root, `..` stops at root), as ldconfig -r does. Undefined when a component is
 * missing or links loop.
 */
export async function resolveInRoot(root: string, path: string): Promise<string | undefined> {
  const todo = split(path);
  const done: string[] = [];
  let links = 0;
  while (todo.length > 0) {
    const part = todo.shift() as string;
    if (part === "..") {
      done.pop();
      continue;
    }
    const host = join(root, ...done, part);
    const st = await lstat(host).catch(() => undefined);
    if (st === undefined) return undefined;
    if (!st.isSymbolicLink()) {
      done.push(part);
      continue;
    }
    if (++links > 40) return undefined; // the kernel's ELOOP limit
    const target = await readlink(host);
    if (target.startsWith("/")) done.length = 0;
    todo.unshift(...split(target));
  }
  return join(root, ...done);
}

function split(path: string): string[] {
  return path.split("/").filter((p) => p !== "" && p !== ".");
}
