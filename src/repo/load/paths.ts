/** Repository-relative paths (`/` separators, "" for the root), as the walk lists them. */

export const parentOf = (path: string): string => (path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "");
export const baseOf = (path: string): string => path.slice(path.lastIndexOf("/") + 1);
export const join = (dir: string, name: string): string => (dir === "" ? name : `${dir}/${name}`);

/** "" and each ancestor of `dir`, root first, `dir` last. */
export function chain(dir: string): string[] {
  if (dir === "") return [""];
  const parts = dir.split("/");
  return ["", ...parts.map((_, i) => parts.slice(0, i + 1).join("/"))];
}

export const underDir = (path: string, dir: string): boolean =>
  dir === "" || path === dir || path.startsWith(`${dir}/`);
