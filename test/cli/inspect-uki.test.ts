import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inspect } from "../../src/cli/inspect.js";
import { bash, run, runText, scratch } from "../formats/oci/tools.js";
import { runCapturing } from "./run.js";

const INSTALLERS = join(import.meta.dirname, "../fixtures/out/installer");
const INSTALLER = join(INSTALLERS, "clean/installer-uki.tar");
const UKI = "/usr/install/amd64/vmlinuz.efi";

let work: string;
/** vmlinuz.efi taken out of the installer by GNU tar, and the secure boot certificate as PEM. */
let efi: string;
let pem: string;
beforeAll(() => {
  work = scratch("inspect-uki-");
  efi = join(work, "vmlinuz.efi");
  pem = join(work, "sb.pem");
  bash(
    `layer=$(tar -xOf ${INSTALLER} manifest.json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Layers"][0])')
     tar -xOf ${INSTALLER} "$layer" | tar -xO usr/install/amd64/vmlinuz.efi > ${efi}
     openssl x509 -inform DER -in ${join(INSTALLERS, "keys/secureboot.der")} -out ${pem}`,
  );
});
afterAll(() => run("rm", ["-rf", work]));

interface PeJson {
  sections: {
    name: string;
    virtualAddress: number;
    virtualSize: number;
    pointerToRawData: number;
    sizeOfRawData: number;
  }[];
  signatures: { signer: string; digestMatches: boolean; signatureValid: boolean }[];
  text: Record<string, string>;
}

describe("talos-ext inspect IMAGE UKI", () => {
  it("lists the UKI's sections as objdump -h does, its signature as sbverify judges it, and its settings", async () => {
    const { code, out } = await runCapturing(inspect, INSTALLER, UKI, "--json");
    expect(code).toBe(0);
    const pe = (JSON.parse(out) as { pe: PeJson }).pe;
    const objdump = [
      ...runText("objdump", ["-h", efi]).matchAll(
        /^\s*\d+ (\S+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)/gm,
      ),
    ].map((m) => ({
      name: m[1],
      vma: Number.parseInt(m[2] as string, 16),
      offset: Number.parseInt(m[3] as string, 16),
    }));
    const imageBase = (objdump[0]?.vma ?? 0) - (pe.sections[0]?.virtualAddress ?? 0);
    expect(
      pe.sections.map((s) => ({ name: s.name, vma: s.virtualAddress + imageBase, offset: s.pointerToRawData })),
    ).toEqual(objdump);
    // sbverify accepts the image with the secure boot certificate; the reader names its subject.
    execFileSync("sbverify", ["--cert", pem, efi], { stdio: "ignore" });
    const subject = runText("openssl", ["x509", "-in", pem, "-noout", "-subject", "-nameopt", "RFC2253"])
      .replace(/^subject=/, "")
      .trim()
      .split(",")
      .reverse()
      .join(", ");
    expect(pe.signatures).toEqual([
      expect.objectContaining({ signer: subject, digestMatches: true, signatureValid: true }),
    ]);
    for (const name of [".cmdline", ".uname", ".osrel"]) {
      const section = bash(`objcopy -O binary --only-section=${name} ${efi} ${work}/s && cat ${work}/s`);
      expect(pe.text[name]).toBe(section.replace(/\0+$/, ""));
    }
  });

  it("prints the same in text: one line per section, the signature and each setting", async () => {
    const { code, out } = await runCapturing(inspect, INSTALLER, UKI);
    expect(code).toBe(0);
    const json = (JSON.parse((await runCapturing(inspect, INSTALLER, UKI, "--json")).out) as { pe: PeJson }).pe;
    for (const s of json.sections) expect(out).toMatch(new RegExp(`^${s.name.replaceAll(".", "\\.")}\\s+0x`, "m"));
    expect(out).toMatch(
      /^signature at \d+ {2}sha256 {2}verifies {2}signer O=talos-ext fixtures, CN=Throw-away secure boot key/m,
    );
    expect(out).toContain(`.cmdline  ${json.text[".cmdline"]}`);
  });
});
