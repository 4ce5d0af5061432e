import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inflateSync, crc32 as zlibCrc32 } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { LimitError } from "../../src/io/errors.js";
import { crc32, PNG_SIGNATURE, rasterize, renderPng } from "../../src/p2p/image/png.js";
import { buildScene, type RectItem } from "../../src/p2p/image/scene.js";
import { renderSvg } from "../../src/p2p/image/svg.js";
import type { P2PNode } from "../../src/p2p/model.js";
import { parseProbeFile } from "../../src/p2p/probe.js";
import { parseSampleOutput } from "../../src/p2p/sample.js";
import { fixture, fixtureText, H200, STOCK, UNLOCKED } from "./fixtures.js";

const work = mkdtempSync(join(tmpdir(), "p2p-image-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const unlocked = parseSampleOutput(fixtureText(UNLOCKED), fixture(UNLOCKED));
const stock = parseSampleOutput(fixtureText(STOCK), fixture(STOCK));
const [h200] = parseProbeFile(fixtureText(H200), fixture(H200)) as [P2PNode];

/** Python's expat parses the SVG (it fails on anything not well-formed) and lists the cells it finds. */
function cellsBySvgParser(svg: string): { matrix: string; src: number; dst: number; value: string }[] {
  const file = join(work, "map.svg");
  writeFileSync(file, svg);
  const script = [
    "import json, sys, xml.etree.ElementTree as ET",
    "root = ET.parse(sys.argv[1]).getroot()",
    "ns = '{http://www.w3.org/2000/svg}'",
    "cells = [dict(matrix=r.get('data-matrix'), src=int(r.get('data-src')), dst=int(r.get('data-dst')), value=r.get('data-value'))",
    "         for r in root.iter(ns + 'rect') if r.get('class') == 'cell']",
    "print(json.dumps(cells))",
  ].join("\n");
  const run = spawnSync("python3", ["-c", script, file], { encoding: "utf8" });
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  return JSON.parse(run.stdout);
}

describe("SVG heat map", () => {
  for (const node of [unlocked, stock, h200]) {
    it(`${node.artifact.split("/").pop()}: well-formed XML, one cell per pair of every matrix, with its value`, () => {
      const cells = cellsBySvgParser(renderSvg(buildScene([node])));
      const kinds = Object.keys(node.matrices);
      const n = node.gpus.length;
      expect(cells).toHaveLength(kinds.length * n * n);
      for (const kind of kinds) {
        const mine = cells.filter((c) => c.matrix === kind);
        expect(new Set(mine.map((c) => `${c.src}>${c.dst}`)).size).toBe(n * n);
        for (const c of mine) {
          const v = node.matrices[kind as keyof typeof node.matrices]?.[c.src]?.[c.dst] ?? null;
          expect(c.value).toBe(v === null ? "" : String(v));
        }
      }
    });
  }

  it("escapes what a host name could carry", () => {
    const svg = renderSvg(buildScene([{ ...h200, name: 'a<b>&"c"\u0001' }]));
    expect(cellsBySvgParser(svg)).toHaveLength(7 * 4);
    expect(svg).toContain("a&lt;b&gt;&amp;&quot;c&quot;?");
  });
});

describe("PNG heat map", () => {
  const scene = buildScene([unlocked, h200]);
  const png = renderPng(scene, "map.png");

  /** Chunks as the PNG specification lays them out, each CRC checked with zlib's own crc32. */
  function chunks(bytes: Buffer) {
    const out: { type: string; data: Buffer }[] = [];
    let at = 8;
    while (at < bytes.length) {
      const length = bytes.readUInt32BE(at);
      const type = bytes.toString("latin1", at + 4, at + 8);
      const data = bytes.subarray(at + 8, at + 8 + length);
      expect(bytes.readUInt32BE(at + 8 + length)).toBe(zlibCrc32(bytes.subarray(at + 4, at + 8 + length)));
      out.push({ type, data });
      at += 12 + length;
    }
    expect(at).toBe(bytes.length);
    return out;
  }

  it("has the signature, IHDR, IDAT and IEND with valid CRCs", () => {
    expect(png.subarray(0, 8)).toEqual(Buffer.from(PNG_SIGNATURE));
    const list = chunks(png);
    expect(list.map((c) => c.type)).toEqual(["IHDR", "IDAT", "IEND"]);
    const ihdr = list[0]?.data as Buffer;
    expect(ihdr.length).toBe(13);
    expect([ihdr.readUInt32BE(0), ihdr.readUInt32BE(4)]).toEqual([scene.width, scene.height]);
    expect([...ihdr.subarray(8)]).toEqual([8, 2, 0, 0, 0]);
    expect(list[2]?.data.length).toBe(0);
  });

  it("decodes back to the rasterized pixels, and a cell has its colour", () => {
    const idat = chunks(png).find((c) => c.type === "IDAT")?.data as Buffer;
    const raw = inflateSync(idat);
    const stride = scene.width * 3;
    expect(raw.length).toBe((stride + 1) * scene.height);
    const pixels = Buffer.alloc(stride * scene.height);
    for (let y = 0; y < scene.height; y++) {
      expect(raw[y * (stride + 1)]).toBe(0);
      raw.copy(pixels, y * stride, y * (stride + 1) + 1, (y + 1) * (stride + 1));
    }
    expect(pixels.equals(Buffer.from(rasterize(scene, "map.png")))).toBe(true);
    const cell = scene.items.find(
      (i): i is RectItem => i.kind === "rect" && i.cell?.matrix === "uniOn" && i.cell.src === 0 && i.cell.dst === 1,
    ) as RectItem;
    const o = ((cell.y + 1) * scene.width + cell.x + 1) * 3;
    expect([...pixels.subarray(o, o + 3)]).toEqual([...cell.fill]);
  });

  it("computes the CRC-32 zlib does", () => {
    for (const data of [Buffer.alloc(0), Buffer.from("IEND"), png]) expect(crc32(data)).toBe(zlibCrc32(data));
  });

  it("refuses an image too large to hold", () => {
    expect(() => rasterize({ width: 10_000, height: 10_000, items: [] }, "huge.png")).toThrow(LimitError);
  });
});
