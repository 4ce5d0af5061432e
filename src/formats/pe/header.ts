/**
 * PE/COFF headers (Microsoft PE format; UEFI images such as systemd-stub UKIs and systemd-boot): the DOS stub's
 * e_lfanew, the COFF file header, the optional header (PE32 or PE32+) with its data directories, and the section
 * table. Only what reading sections and hashing the image needs is kept.
 */
import { FormatError } from "../../io/errors.js";
import type { ByteSource } from "../../io/source.js";

export interface PeSection {
  /** Up to 8 bytes, NUL padding dropped. */
  readonly name: string;
  readonly virtualSize: number;
  readonly virtualAddress: number;
  readonly sizeOfRawData: number;
  readonly pointerToRawData: number;
}

export interface PeHeader {
  readonly machine: number;
  readonly format: "PE32" | "PE32+";
  /** Bytes from the file start that hold every header and the section table. */
  readonly sizeOfHeaders: number;
  /** File offset of the optional header's CheckSum, which the Authenticode hash leaves out. */
  readonly checksumAt: number;
  /** File offset of the certificate-table data directory entry (absent when the image has none). */
  readonly certificateDirAt?: number;
  /** The certificate table (the security directory: a file offset, not an RVA). */
  readonly certificates?: { readonly offset: number; readonly size: number };
  readonly sections: readonly PeSection[];
}

const DOS_MAGIC = 0x5a4d; // "MZ"
const PE_SIGNATURE = 0x00004550; // "PE\0\0"
const COFF_SIZE = 20;
const SECTION_SIZE = 40;
/** The PE format's own bound (the loader refuses more); it also bounds what a header can make us read. */
const MAX_SECTIONS = 96;
const CERTIFICATE_DIRECTORY = 4;
const OPTIONAL = {
  PE32: { magic: 0x10b, directoryCount: 92, directories: 96 },
  "PE32+": { magic: 0x20b, directoryCount: 108, directories: 112 },
} as const;
/** CheckSum's offset in the optional header, the same in both formats. */
const CHECKSUM = 64;
const SIZE_OF_HEADERS = 60;

export async function readPeHeader(src: ByteSource): Promise<PeHeader> {
  const dos = await src.read(0, 64, "DOS header");
  const dv = new DataView(dos.buffer, dos.byteOffset, dos.length);
  if (dv.getUint16(0, true) !== DOS_MAGIC) {
    throw new FormatError(src.name, 0, "DOS header", "MZ", hex(dv.getUint16(0, true), 4));
  }
  const peAt = dv.getUint32(0x3c, true);
  const coff = await src.read(peAt, 4 + COFF_SIZE, "PE signature and COFF header");
  const cv = new DataView(coff.buffer, coff.byteOffset, coff.length);
  if (cv.getUint32(0, true) !== PE_SIGNATURE) {
    throw new FormatError(src.name, peAt, "PE signature", "PE\\0\\0", hex(cv.getUint32(0, true), 8));
  }
  const machine = cv.getUint16(4, true);
  const count = cv.getUint16(6, true);
  if (count > MAX_SECTIONS) {
    throw new FormatError(src.name, peAt + 6, "COFF NumberOfSections", `at most ${MAX_SECTIONS}`, String(count));
  }
  const optSize = cv.getUint16(20, true);
  const optAt = peAt + 4 + COFF_SIZE;
  const opt = await src.read(optAt, optSize, "optional header");
  const ov = new DataView(opt.buffer, opt.byteOffset, opt.length);
  if (optSize < 2) throw new FormatError(src.name, optAt, "optional header", "a magic number", `${optSize} bytes`);
  const magic = ov.getUint16(0, true);
  const format = magic === OPTIONAL.PE32.magic ? "PE32" : magic === OPTIONAL["PE32+"].magic ? "PE32+" : undefined;
  if (format === undefined) {
    throw new FormatError(src.name, optAt, "optional header magic", "0x10b (PE32) or 0x20b (PE32+)", hex(magic, 4));
  }
  const layout = OPTIONAL[format];
  if (optSize < layout.directories) {
    throw new FormatError(src.name, optAt, "optional header", `at least ${layout.directories} bytes`, `${optSize}`);
  }
  const sizeOfHeaders = ov.getUint32(SIZE_OF_HEADERS, true);
  // Whole directories only: an optional header ending inside one does not have it.
  const directories = Math.min(
    ov.getUint32(layout.directoryCount, true),
    Math.floor((optSize - layout.directories) / 8),
  );
  let certificateDirAt: number | undefined;
  let certificates: PeHeader["certificates"];
  if (directories > CERTIFICATE_DIRECTORY) {
    const at = layout.directories + CERTIFICATE_DIRECTORY * 8;
    certificateDirAt = optAt + at;
    const offset = ov.getUint32(at, true);
    const size = ov.getUint32(at + 4, true);
    if (size > 0) {
      if (offset + size > src.size) {
        throw new FormatError(
          src.name,
          certificateDirAt,
          "certificate table",
          `within ${src.size} bytes`,
          `${offset}+${size}`,
        );
      }
      certificates = { offset, size };
    }
  }
  const tableAt = optAt + optSize;
  const sections = parseSections(await src.read(tableAt, count * SECTION_SIZE, "section table"), src, tableAt);
  if (sizeOfHeaders < tableAt + count * SECTION_SIZE || sizeOfHeaders > src.size) {
    throw new FormatError(
      src.name,
      optAt + SIZE_OF_HEADERS,
      "SizeOfHeaders",
      `${tableAt + count * SECTION_SIZE} to ${src.size}`,
      `${sizeOfHeaders}`,
    );
  }
  return {
    machine,
    format,
    sizeOfHeaders,
    checksumAt: optAt + CHECKSUM,
    ...(certificateDirAt === undefined ? {} : { certificateDirAt }),
    ...(certificates === undefined ? {} : { certificates }),
    sections,
  };
}

function parseSections(table: Uint8Array, src: ByteSource, at: number): PeSection[] {
  const v = new DataView(table.buffer, table.byteOffset, table.length);
  const sections: PeSection[] = [];
  for (let i = 0; i < table.length / SECTION_SIZE; i++) {
    const o = i * SECTION_SIZE;
    const raw = table.subarray(o, o + 8);
    const end = raw.indexOf(0);
    const section = {
      name: new TextDecoder("latin1").decode(end < 0 ? raw : raw.subarray(0, end)),
      virtualSize: v.getUint32(o + 8, true),
      virtualAddress: v.getUint32(o + 12, true),
      sizeOfRawData: v.getUint32(o + 16, true),
      pointerToRawData: v.getUint32(o + 20, true),
    };
    if (section.sizeOfRawData > 0 && section.pointerToRawData + section.sizeOfRawData > src.size) {
      throw new FormatError(
        src.name,
        at + o + 16,
        `section ${section.name} raw data`,
        `within ${src.size} bytes`,
        `${section.pointerToRawData}+${section.sizeOfRawData}`,
      );
    }
    sections.push(section);
  }
  return sections;
}

const hex = (v: number, digits: number): string => `0x${v.toString(16).padStart(digits, "0")}`;
