import { type ByteSource, SliceSource } from "../../io/source.js";
import type { PeHeader, PeSection } from "./header.js";

/** The first section of that name: the one a UKI's stub and Talos' extractor use. */
export const findSection = (header: PeHeader, name: string): PeSection | undefined =>
  header.sections.find((s) => s.name === name);

/**
 * A section's bytes as Talos reads them (`io.NewSectionReader(section, 0, VirtualSize)` over Go's section reader):
 * VirtualSize bytes, cut to SizeOfRawData, since what lies past the raw data is the loader's zero fill.
 */
export function sectionSource(src: ByteSource, section: PeSection): ByteSource {
  const size = Math.min(section.virtualSize, section.sizeOfRawData);
  return new SliceSource(src, section.pointerToRawData, size, `${src.name}!${section.name}`);
}
