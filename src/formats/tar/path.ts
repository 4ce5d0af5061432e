import { FormatError } from "../../errors.js";

/**
 * A member name as a clean absolute path inside the archive's tree: `./a//b/` becomes `/a/b`. Absolute names
 * and any `..` component are refused rather than normalised: a layer that names `/etc/passwd` or `../x` was
 * made by a broken or hostile tool, and a reader that silently rebased it would hide that.
 */
export function cleanMemberPath(name: string, file: string, offset: number): string {
  if (name.startsWith("/")) {
    throw new FormatError(file, offset, "tar member name", "a relative path", JSON.stringify(name));
  }
  const parts: string[] = [];
  for (const part of name.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      throw new FormatError(file, offset, "tar member name", "a path without '..'", JSON.stringify(name));
    }
    if (part.includes("\0"))
      throw new FormatError(file, offset, "tar member name", "no NUL byte", JSON.stringify(name));
    parts.push(part);
  }
  return `/${parts.join("/")}`;
}
