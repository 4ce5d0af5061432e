import { describe, expect, it } from "vitest";
import { FormatError } from "../../src/io/errors.js";
import type { MatrixKind } from "../../src/p2p/model.js";
import { parseSampleOutput } from "../../src/p2p/sample.js";
import { fixture, fixtureText, STOCK, UNLOCKED } from "./fixtures.js";

/** The order p2pBandwidthLatencyTest prints its matrices in without --p2p_read. */
const PRINTED: MatrixKind[] = [
  "connectivity",
  "uniOff",
  "uniOn",
  "biOff",
  "biOn",
  "latOff",
  "cpuLatOff",
  "latOn",
  "cpuLatOn",
];

/**
 * An extraction that knows nothing of sections: every line that is a GPU index followed by numbers is a
 * matrix row, in file order.
 */
function numericRows(text: string): number[][] {
  return text
    .split("\n")
    .filter((l) => /^\s*\d+(\s+\d+(\.\d+)?)+\s*$/.test(l))
    .map((l) => l.trim().split(/\s+/).slice(1).map(Number));
}

/** Row `row` of the matrix under `heading` (skipping the column header, and for CPU the GPU block). */
function rowUnder(text: string, heading: string, row: number, cpu = false): number[] {
  const lines = text.split("\n");
  let at = lines.findIndex((l) => l.trim() === heading) + 1;
  if (cpu) at = lines.findIndex((l, k) => k > at && l.trim().startsWith("CPU"));
  return (lines[at + 1 + row] as string).trim().split(/\s+/).slice(1).map(Number);
}

describe("p2pBandwidthLatencyTest output (published 8x RTX 4090 runs)", () => {
  for (const name of [STOCK, UNLOCKED]) {
    it(`${name}: every matrix value, against a line-by-line extraction`, () => {
      const text = fixtureText(name);
      const node = parseSampleOutput(text, fixture(name));
      expect(node.gpus).toHaveLength(8);
      expect(Object.keys(node.matrices).sort()).toEqual([...PRINTED].sort());
      const rows = numericRows(text);
      expect(rows).toHaveLength(PRINTED.length * 8);
      const parsed = PRINTED.flatMap((k) => node.matrices[k] as number[][]);
      expect(parsed).toEqual(rows);
    });

    it(`${name}: spot checks by heading`, () => {
      const text = fixtureText(name);
      const m = parseSampleOutput(text, fixture(name)).matrices;
      expect(m.biOn?.[3]).toEqual(rowUnder(text, "Bidirectional P2P=Enabled Bandwidth Matrix (GB/s)", 3));
      expect(m.uniOff?.[7]).toEqual(rowUnder(text, "Unidirectional P2P=Disabled Bandwidth Matrix (GB/s)", 7));
      expect(m.latOn?.[5]).toEqual(rowUnder(text, "P2P=Enabled Latency (P2P Writes) Matrix (us)", 5));
      expect(m.cpuLatOn?.[6]).toEqual(rowUnder(text, "P2P=Enabled Latency (P2P Writes) Matrix (us)", 6, true));
      expect(m.cpuLatOff?.[0]).toEqual(rowUnder(text, "P2P=Disabled Latency Matrix (us)", 0, true));
    });
  }

  it("reads the connectivity the write-up describes: none before the patch, all after", () => {
    const off = (name: string) =>
      (parseSampleOutput(fixtureText(name), name).matrices.connectivity as number[][]).flatMap((r, i) =>
        r.filter((_, j) => i !== j),
      );
    expect(new Set(off(STOCK))).toEqual(new Set([0]));
    expect(new Set(off(UNLOCKED))).toEqual(new Set([1]));
  });

  it("takes names and bus ids from the sample's Device lines", () => {
    // Printed as the sample does (`Device: %d, %s, pciBusID: %x, pciDeviceID: %x, pciDomainID:%x`), with the
    // bus numbers the write-up's NCCL listing gives for these GPUs.
    const buses = [0x01, 0x25, 0x41, 0x61, 0x81, 0xa1, 0xc1, 0xe1];
    const devices = buses.map(
      (b, i) => `Device: ${i}, NVIDIA GeForce RTX 4090, pciBusID: ${b.toString(16)}, pciDeviceID: 0, pciDomainID:0`,
    );
    const node = parseSampleOutput(`${devices.join("\n")}\n${fixtureText(UNLOCKED)}`, "x");
    expect(node.gpus[1]).toEqual({ index: 1, name: "NVIDIA GeForce RTX 4090", pciBusId: "0000:25:00.0" });
    expect(node.gpus[7]?.pciBusId).toBe("0000:e1:00.0");
  });

  describe("bad input, derived from the published output", () => {
    const text = fixtureText(UNLOCKED);
    const offsetOfLine = (t: string, startsWith: string) => {
      const k = t.split("\n").findIndex((l) => l.startsWith(startsWith));
      return Buffer.byteLength(t.split("\n").slice(0, k).join("\n")) + 1;
    };
    const expectFormatError = (t: string, offset: number, expected: RegExp) => {
      let err: unknown;
      try {
        parseSampleOutput(t, "bad.txt");
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FormatError);
      expect((err as FormatError).offset).toBe(offset);
      expect((err as FormatError).expected).toMatch(expected);
      expect((err as FormatError).file).toBe("bad.txt");
    };

    it("a matrix cut off after four rows", () => {
      const lines = text.split("\n");
      const k = lines.findIndex((l) => l.trim() === "Bidirectional P2P=Enabled Bandwidth Matrix (GB/s)");
      const kept = lines.slice(0, k + 2 + 4).join("\n");
      expectFormatError(`${kept}\n`, Buffer.byteLength(kept) + 1, /row 4: the GPU index and 8 values/);
    });

    it("a value that is not a number", () => {
      const bad = text.replace("25.60  25.85", "25.60  25,85");
      expectFormatError(bad, offsetOfLine(bad, "     0 913.74"), /a number in row 0/);
    });

    it("a connectivity other than 0 or 1", () => {
      const lines = text.split("\n");
      const k = lines.findIndex((l) => l.trim() === "P2P Connectivity Matrix") + 3;
      lines[k] = (lines[k] as string).replace(/1$/, "2");
      const bad = lines.join("\n");
      expectFormatError(bad, Buffer.byteLength(lines.slice(0, k).join("\n")) + 1, /0 or 1 in row 1/);
    });

    it("a matrix with another GPU count than the ones before", () => {
      const heading = "P2P=Disabled Latency Matrix (us)";
      const at = text.indexOf(heading) + heading.length + 1;
      const header = text.slice(at, text.indexOf("\n", at));
      const bad = text.slice(0, at) + header.replace(/\s+7\s*$/, "") + text.slice(text.indexOf("\n", at));
      expectFormatError(bad, Buffer.byteLength(text.slice(0, at)), /8 GPUs, as in the matrices before/);
    });

    it("text without any of the sample's matrices", () => {
      expect(() => parseSampleOutput("# ./p2pBandwidthLatencyTest\nnothing here\n", "empty.txt")).toThrow(FormatError);
    });
  });
});
