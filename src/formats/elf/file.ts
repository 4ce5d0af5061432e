import { FormatError } from "../../io/errors.js";
import type { ByteSource } from "../../io/source.js";
import { type ElfHeader, readElfHeader } from "./header.js";
import { type ElfSection, type ElfSegment, readSections, readSegments, SHT_NOBITS } from "./tables.js";

/**
 * An ELF object opened for random access: the header and both header tables are read once; section and
 * segment contents are read only when asked for.
 */
export class ElfFile {
  private constructor(
    readonly src: ByteSource,
    readonly header: ElfHeader,
    readonly sections: readonly ElfSection[],
    readonly segments: readonly ElfSegment[],
  ) {}

  static async open(src: ByteSource): Promise<ElfFile> {
    const header = await readElfHeader(src);
    const sections = await readSections(src, header);
    const segments = await readSegments(src, header);
    return new ElfFile(src, header, sections, segments);
  }

  /** The first section with this name, as kmod and readelf pick it. */
  section(name: string): ElfSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  /** The bytes of a section; a section reaching past the end of the file is a FormatError. */
  async sectionData(s: ElfSection): Promise<Uint8Array> {
    if (s.type === SHT_NOBITS) return new Uint8Array(0);
    if (s.offset + s.size > this.src.size) {
      throw new FormatError(
        this.src.name,
        s.offset,
        `section ${s.name || s.index}`,
        `${s.size} bytes`,
        `end of input at ${this.src.size}`,
      );
    }
    return this.src.read(s.offset, s.size, `section ${s.name || s.index}`);
  }

  /** The file bytes of a segment (p_filesz of them). */
  async segmentData(p: ElfSegment): Promise<Uint8Array> {
    if (p.offset + p.filesz > this.src.size) {
      throw new FormatError(
        this.src.name,
        p.offset,
        `segment ${p.index}`,
        `${p.filesz} bytes`,
        `end of input at ${this.src.size}`,
      );
    }
    return this.src.read(p.offset, p.filesz, `segment ${p.index}`);
  }
}
