/**
 * A Unified Kernel Image: a systemd-stub PE image whose sections carry the kernel, the initramfs and their
 * settings (the UAPI Group's UKI specification). Talos' installer holds one at /usr/install/<arch>/vmlinuz.efi.
 */
import { FormatError } from "../../io/errors.js";
import type { ByteSource } from "../../io/source.js";
import { type PeHeader, readPeHeader } from "./header.js";
import { findSection, sectionSource } from "./sections.js";

const TEXT_SECTIONS = [".cmdline", ".uname", ".osrel", ".sbat", ".pcrsig", ".pcrpkey"];
/** Text sections are small settings; a larger one is not a UKI's. */
const MAX_TEXT = 1 << 20;

export interface Uki {
  readonly header: PeHeader;
  /** The kernel image, as a bzImage or zboot reader takes it. */
  readonly linux: ByteSource;
  readonly initrd?: ByteSource;
  /** `.cmdline`, `.uname`, `.osrel`, `.sbat`, `.pcrsig`, `.pcrpkey` as text, where present (NULs at the end dropped). */
  readonly text: ReadonlyMap<string, string>;
}

/** The named sections present, as text (NULs at the end dropped), each at most MAX_TEXT bytes. */
export async function readTextSections(
  src: ByteSource,
  header: PeHeader,
  names: readonly string[],
): Promise<Map<string, string>> {
  const text = new Map<string, string>();
  for (const name of names) {
    const section = findSection(header, name);
    if (section === undefined) continue;
    const body = sectionSource(src, section);
    if (body.size > MAX_TEXT) {
      throw new FormatError(
        src.name,
        section.pointerToRawData,
        `section ${name}`,
        `at most ${MAX_TEXT} bytes`,
        `${body.size}`,
      );
    }
    text.set(name, new TextDecoder().decode(await body.read(0, body.size, `section ${name}`)).replace(/\0+$/, ""));
  }
  return text;
}

export async function readUki(src: ByteSource): Promise<Uki> {
  const header = await readPeHeader(src);
  const linux = findSection(header, ".linux");
  if (linux === undefined) throw new FormatError(src.name, 0, "UKI sections", "a .linux section", "none");
  const initrd = findSection(header, ".initrd");
  const text = await readTextSections(src, header, TEXT_SECTIONS);
  return {
    header,
    linux: sectionSource(src, linux),
    ...(initrd === undefined ? {} : { initrd: sectionSource(src, initrd) }),
    text,
  };
}
