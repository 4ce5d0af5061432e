import { lstat, readlink } from "node:fs/promises";
import { join } from "node:path";
import { resolveAsync } from "../../io/symlink.js";

/**
 * The host path of `path` inside the tree at `root`, following symbolic links as if `root` were `/` (absolute
 * link targets start again at root, `..` stops at root), as ldconfig -r does. Undefined when a component is
 * missing or links loop.
 */
export async function resolveInRoot(root: string, path: string): Promise<string | undefined> {
  const found = await resolveAsync(join(root), path.split("/"), { followLast: true }, async ({ dir, name }) => {
    const host = join(dir, name);
    const st = await lstat(host).catch(() => undefined);
    if (st === undefined) return undefined;
    return st.isSymbolicLink() ? { node: host, symlink: await readlink(host) } : { node: host };
  });
  return found.kind === "found" ? found.node : undefined;
}
