import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { pack } from "tar-stream";
import { relativeFault } from "../../io/path.js";

/** One member to write; directories, regular files and symlinks are what image layers need. */
export interface TarMember {
  /** Relative, `/`-separated, no `..` or NUL: the writer refuses anything else. */
  readonly name: string;
  readonly type: "file" | "dir" | "symlink";
  readonly mode: number;
  readonly size: number;
  readonly linkTarget?: string;
  /** A regular file's bytes, exactly `size` of them. */
  readonly body?: () => Iterable<Uint8Array> | AsyncIterable<Uint8Array>;
}

export interface TarWritten {
  /** `sha256:<hex>` of the whole archive. */
  readonly digest: string;
  readonly size: number;
}

/**
 * Writes `members` in the order given as a POSIX tar (PAX headers where ustar cannot hold a name) to `dest`.
 * Owners are root with empty names and every member has `mtime`: the bytes depend on the members alone.
 */
export async function writeTar(dest: string, members: Iterable<TarMember>, mtime: number): Promise<TarWritten> {
  const p = pack();
  const hash = createHash("sha256");
  let size = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  const done = pipeline(p, count, createWriteStream(dest, { flags: "wx" }));
  try {
    for (const m of members) {
      if (relativeFault(m.name) !== undefined) {
        throw new Error(`${dest}: tar member name ${JSON.stringify(m.name)} must be relative without '..'`);
      }
      const header = {
        name: m.type === "dir" ? `${m.name}/` : m.name,
        mode: m.mode,
        uid: 0,
        gid: 0,
        uname: "",
        gname: "",
        mtime: new Date(mtime * 1000),
        size: m.type === "file" ? m.size : 0,
        type: m.type === "dir" ? ("directory" as const) : m.type,
        ...(m.linkTarget === undefined ? {} : { linkname: m.linkTarget }),
      };
      if (m.type !== "file") {
        await new Promise<void>((resolve, reject) => p.entry(header, (err) => (err ? reject(err) : resolve())));
        continue;
      }
      await new Promise<void>((resolve, reject) => {
        const sink = p.entry(header, (err) => (err ? reject(err) : resolve()));
        (async () => {
          for await (const chunk of m.body?.() ?? []) {
            if (!sink.write(chunk)) await new Promise<void>((r) => sink.once("drain", () => r()));
          }
          sink.end(Buffer.alloc(0));
        })().catch(reject);
      });
    }
    p.finalize();
    await done;
  } catch (err) {
    p.destroy(err as Error);
    await done.catch(() => undefined);
    throw err;
  }
  return { digest: `sha256:${hash.digest("hex")}`, size };
}
