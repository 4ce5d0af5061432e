/** An entry for the newc writer; data is held in memory (the builder's archives are small). */
export interface CpioInput {
  readonly name: string;
  readonly type: "file" | "dir" | "symlink";
  readonly mode: number;
  readonly uid?: number;
  readonly gid?: number;
  readonly mtime?: number;
  /** File content, or the symlink target. */
  readonly data?: Uint8Array | string;
}

const enc = new TextEncoder();
const TYPE_BITS = { file: 0o100000, dir: 0o040000, symlink: 0o120000 };

function header(fields: number[], name: Uint8Array): Uint8Array {
  const text = `070701${fields.map((v) => v.toString(16).toUpperCase().padStart(8, "0")).join("")}`;
  const out = new Uint8Array((110 + name.length + 1 + 3) & ~3);
  out.set(enc.encode(text));
  out.set(name, 110);
  return out;
}

/**
 * A newc archive byte for byte as `cpio --reproducible -H newc -o` writes it for the same list of paths (no
 * `.` entry, no hard links): inodes numbered from 0 in order, device numbers 0, a trailer, and the whole
 * padded to 512 bytes. The caller sorts.
 */
export function writeCpio(entries: readonly CpioInput[]): Uint8Array {
  // A directory's link count as a file system has it: its entry, its `.`, and each subdirectory's `..`.
  const subdirs = new Map<string, number>();
  for (const e of entries) {
    if (e.type !== "dir") continue;
    const parent = e.name.includes("/") ? e.name.slice(0, e.name.lastIndexOf("/")) : ".";
    subdirs.set(parent, (subdirs.get(parent) ?? 0) + 1);
  }
  const parts: Uint8Array[] = [];
  let size = 0;
  const push = (b: Uint8Array) => {
    parts.push(b);
    size += b.length;
  };
  const pad = () => {
    if (size % 4) push(new Uint8Array(4 - (size % 4)));
  };
  entries.forEach((e, ino) => {
    const data = typeof e.data === "string" ? enc.encode(e.data) : (e.data ?? new Uint8Array(0));
    const name = enc.encode(e.name);
    const nlink = e.type === "dir" ? 2 + (subdirs.get(e.name) ?? 0) : 1;
    const mode = TYPE_BITS[e.type] | (e.mode & 0o7777);
    push(
      header(
        [ino, mode, e.uid ?? 0, e.gid ?? 0, nlink, e.mtime ?? 0, data.length, 0, 0, 0, 0, name.length + 1, 0],
        name,
      ),
    );
    push(data);
    pad();
  });
  push(header([0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 11, 0], enc.encode("TRAILER!!!")));
  if (size % 512) push(new Uint8Array(512 - (size % 512)));
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
