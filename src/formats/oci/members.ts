import type { z } from "zod";
import { FormatError, LimitError } from "../../io/errors.js";
import { clampPath } from "../../io/path.js";
import { type FileSource, SliceSource } from "../../io/source.js";
import { MAX_SYMLINKS } from "../../io/symlink.js";
import type { TarEntry } from "../tar/entry.js";
import { indexTar } from "../tar/walk.js";
import { checkDigest, parseDigest } from "./digest.js";

/** Manifests, indexes and configs are small; a larger one is refused before it is read. */
const MAX_JSON = 16 << 20;

/** A descriptor: what a blob must hash to and how long it must be. */
export interface Descriptor {
  readonly mediaType?: string;
  readonly digest: string;
  readonly size: number;
}

/**
 * The outer archive, indexed once: every member's header offset and size, so each blob is then read in place
 * as a slice of the file, never extracted or read whole.
 */
export class ArchiveMembers {
  private constructor(
    readonly src: FileSource,
    private readonly members: Map<string, TarEntry>,
  ) {}

  static async open(src: FileSource): Promise<ArchiveMembers> {
    return new ArchiveMembers(src, await indexTar(src));
  }

  has(path: string): boolean {
    return this.members.has(`/${path}`);
  }

  /**
   * The regular file at `path` (relative to the archive's root). Docker ≤ 24 stores an identical layer once
   * and points at it with a relative symlink, so symlinks are followed (as many hops as Linux follows, inside
   * the archive).
   */
  file(path: string, what: string): TarEntry {
    let m = this.members.get(`/${path}`);
    for (let hops = 0; m?.type === "symlink" && hops < MAX_SYMLINKS; hops++) {
      const dir = m.path.slice(0, m.path.lastIndexOf("/"));
      const target = m.linkTarget ?? "";
      // Kept inside the archive's root: `..` stops there.
      m = this.members.get(clampPath(target.startsWith("/") ? target : `${dir}/${target}`));
    }
    if (m === undefined || m.type !== "file") {
      throw new FormatError(this.src.name, 0, what, `a file ${path} in the archive`, m ? `a ${m.type}` : "none");
    }
    return m;
  }

  /** The blob a descriptor names, checked to have the descriptor's size. */
  blob(desc: Descriptor, what: string): TarEntry {
    const m = this.file(`blobs/sha256/${parseDigest(desc.digest, this.src.name)}`, what);
    if (m.size !== desc.size) {
      throw new FormatError(this.src.name, m.dataOffset, `${what} ${desc.digest}`, `${desc.size} bytes`, `${m.size}`);
    }
    return m;
  }

  slice(m: TarEntry): SliceSource {
    return new SliceSource(this.src, m.dataOffset, m.size, `${this.src.name}!${m.path.slice(1)}`);
  }

  /** A small JSON member, its sha256 checked when `hex` is given, its shape checked by `schema`. */
  async json<T>(m: TarEntry, what: string, schema: z.ZodType<T>, hex?: string): Promise<T> {
    if (m.size > MAX_JSON) throw new LimitError(this.src.name, m.dataOffset, what, MAX_JSON, m.size);
    const bytes = await this.src.read(m.dataOffset, m.size, what);
    if (hex !== undefined) {
      checkDigest(bytes, { hex, file: this.src.name, offset: m.dataOffset, what: `${what} ${m.path.slice(1)}` });
    }
    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder().decode(bytes));
    } catch (err) {
      throw new FormatError(this.src.name, m.dataOffset, `${what} ${m.path.slice(1)}`, "JSON", (err as Error).message);
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const at = issue?.path.join(".") || "(top)";
      throw new FormatError(this.src.name, m.dataOffset, `${what} ${m.path.slice(1)}`, `${at}: ${issue?.message}`);
    }
    return parsed.data;
  }
}
