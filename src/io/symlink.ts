/**
 * Path lookup through symlinks, as the kernel does it, over any tree: an image's layers, a SquashFS image,
 * a directory on the host taken as `/`. The walk is a generator that asks for one directory entry at a time,
 * so one implementation serves trees read synchronously (`resolveSync`) and asynchronously (`resolveAsync`).
 */

/** Linux's MAXSYMLINKS: how many symlinks one path lookup follows before it fails with ELOOP. */
export const MAX_SYMLINKS = 40;

/** A question the walk asks: the entry `name` in the directory `dir`, whose resolved path is `dirPath`. */
export interface Lookup<N> {
  readonly dir: N;
  readonly dirPath: string;
  readonly name: string;
}

/** The answer: the node found, with its target when it is a symlink; undefined when there is none. */
export type Found<N> = { readonly node: N; readonly symlink?: string } | undefined;

export type Resolution<N> =
  /** `node` is at the resolved absolute `path`. */
  | { readonly kind: "found"; readonly node: N; readonly path: string }
  /** A name is missing, or the lookup refused it (e.g. a file where a directory is needed). */
  | { readonly kind: "missing" }
  /** `name` is the symlink `link`, one more than MAX_SYMLINKS: a loop, most likely. */
  | { readonly kind: "loop"; readonly link: N; readonly name: string };

export interface ResolveOptions {
  /** Follow a symlink in the last place (stat), or stop at the link itself (lstat). */
  readonly followLast: boolean;
}

/**
 * Resolves the names `parts` from `root`. `""` and `.` are skipped, `..` goes up and stops at the root, an
 * absolute symlink target starts again from the root and a relative one from the link's directory. A name is
 * last when only `""` and `.` follow it, so `link/..` follows the link whatever `followLast` says.
 */
export function* resolveSteps<N>(
  root: N,
  parts: readonly string[],
  { followLast }: ResolveOptions,
): Generator<Lookup<N>, Resolution<N>, Found<N>> {
  const stack: { node: N; path: string }[] = [{ node: root, path: "/" }];
  const todo = [...parts].reverse();
  const atEnd = () => todo.every((p) => p === "" || p === ".");
  let hops = 0;
  while (todo.length > 0) {
    const name = todo.pop() as string;
    if (name === "" || name === ".") continue;
    if (name === "..") {
      if (stack.length > 1) stack.pop();
      continue;
    }
    const dir = stack[stack.length - 1] as { node: N; path: string };
    const found = yield { dir: dir.node, dirPath: dir.path, name };
    if (found === undefined) return { kind: "missing" };
    if (found.symlink !== undefined && (followLast || !atEnd())) {
      if (++hops > MAX_SYMLINKS) return { kind: "loop", link: found.node, name };
      if (found.symlink.startsWith("/")) stack.length = 1;
      todo.push(...found.symlink.split("/").reverse());
      continue;
    }
    stack.push({ node: found.node, path: dir.path === "/" ? `/${name}` : `${dir.path}/${name}` });
  }
  const end = stack[stack.length - 1] as { node: N; path: string };
  return { kind: "found", node: end.node, path: end.path };
}

/** `resolveSteps` answered by a synchronous lookup. */
export function resolveSync<N>(
  root: N,
  parts: readonly string[],
  options: ResolveOptions,
  lookup: (q: Lookup<N>) => Found<N>,
): Resolution<N> {
  const steps = resolveSteps(root, parts, options);
  let step = steps.next();
  while (!step.done) step = steps.next(lookup(step.value));
  return step.value;
}

/** `resolveSteps` answered by an asynchronous (or synchronous) lookup. */
export async function resolveAsync<N>(
  root: N,
  parts: readonly string[],
  options: ResolveOptions,
  lookup: (q: Lookup<N>) => Found<N> | Promise<Found<N>>,
): Promise<Resolution<N>> {
  const steps = resolveSteps(root, parts, options);
  let step = steps.next();
  while (!step.done) step = steps.next(await lookup(step.value));
  return step.value;
}
