/** `inspect IMAGE PATH` for a PE image (a UKI such as /usr/install/amd64/vmlinuz.efi, or systemd-boot). */
import { judgeAuthenticode } from "../formats/pe/authenticode.js";
import { readPeHeader } from "../formats/pe/header.js";
import { readTextSections } from "../formats/pe/uki.js";
import type { ByteSource } from "../io/source.js";

const TEXT = [".cmdline", ".uname", ".osrel"];

const hex = (n: number, w = 8): string => `0x${n.toString(16).padStart(w, "0")}`;

/** Whether a file starts as a PE image does ("MZ"). */
export async function isPeImage(src: ByteSource): Promise<boolean> {
  if (src.size < 2) return false;
  const head = await src.read(0, 2, "DOS header");
  return head[0] === 0x4d && head[1] === 0x5a;
}

export async function describePe(src: ByteSource) {
  const header = await readPeHeader(src);
  const signatures = (await judgeAuthenticode(src, header)).map(({ signature: sig, verdict }) => ({
    offset: sig.offset,
    hashAlgo: sig.hashAlgo,
    signer: sig.signer.subject,
    issuer: sig.signer.issuer,
    serial: sig.signer.serial,
    ...verdict,
  }));
  const text = Object.fromEntries(await readTextSections(src, header, TEXT));
  return {
    machine: hex(header.machine, 4),
    format: header.format,
    sections: header.sections.map((s) => ({ ...s })),
    signatures,
    text,
  };
}

export function peLines(pe: Awaited<ReturnType<typeof describePe>>): string[] {
  const w = Math.max(4, ...pe.sections.map((s) => s.name.length));
  const lines = [
    `${pe.format}  machine ${pe.machine}  ${pe.sections.length} sections`,
    `${"name".padEnd(w)}  vaddr       vsize       file offset raw size`,
    ...pe.sections.map(
      (s) =>
        `${s.name.padEnd(w)}  ${hex(s.virtualAddress)}  ${hex(s.virtualSize)}  ${hex(s.pointerToRawData)}  ${hex(s.sizeOfRawData)}`,
    ),
  ];
  if (pe.signatures.length === 0) lines.push("unsigned (no Authenticode signature)");
  for (const s of pe.signatures) {
    const state = !s.digestMatches ? "image digest does not match" : !s.signatureValid ? "does not verify" : "verifies";
    lines.push(`signature at ${s.offset}  ${s.hashAlgo}  ${state}  signer ${s.signer}  issuer ${s.issuer}`);
  }
  for (const [name, value] of Object.entries(pe.text)) {
    const [first, ...more] = value.split("\n");
    lines.push(`${name}  ${first}`, ...more.filter((l) => l !== "").map((l) => `${" ".repeat(name.length)}  ${l}`));
  }
  return lines;
}
