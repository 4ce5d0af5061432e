/** The heat map as SVG text, written by hand: one `<rect class="cell">` per matrix cell, with data attributes. */
import { GLYPH_HEIGHT } from "./font.js";
import type { Rgb, Scene } from "./scene.js";

const hex = (c: Rgb): string => `#${c.map((v) => v.toString(16).padStart(2, "0")).join("")}`;

const escapeXml = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Drops characters XML 1.0 forbids (C0 controls other than tab, LF, CR), which a host name could carry. */
const xmlText = (s: string): string =>
  escapeXml([...s].map((ch) => (ch < " " && ch !== "\t" && ch !== "\n" && ch !== "\r" ? "?" : ch)).join(""));

export function renderSvg(scene: Scene): string {
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${scene.width}" height="${scene.height}" viewBox="0 0 ${scene.width} ${scene.height}" font-family="monospace">`,
    `<rect width="${scene.width}" height="${scene.height}" fill="#ffffff"/>`,
  ];
  for (const item of scene.items) {
    if (item.kind === "rect") {
      const geometry = `x="${item.x}" y="${item.y}" width="${item.w}" height="${item.h}" fill="${hex(item.fill)}"`;
      const cell = item.cell;
      const data =
        cell === undefined
          ? ""
          : ` class="cell" data-matrix="${cell.matrix}" data-src="${cell.src}" data-dst="${cell.dst}" data-value="${cell.value ?? ""}"`;
      out.push(
        item.label === undefined
          ? `<rect ${geometry}${data}/>`
          : `<rect ${geometry}${data}><title>${xmlText(item.label)}</title></rect>`,
      );
    } else {
      // A 7-unit monospace font has capitals about 5 units tall, like the PNG's 3×5 font at the same scale.
      const size = 7 * item.scale;
      const anchor = item.anchor === "middle" ? ' text-anchor="middle"' : "";
      out.push(
        `<text x="${item.x}" y="${item.y + GLYPH_HEIGHT * item.scale}" font-size="${size}" fill="${hex(item.color)}"${anchor}>${xmlText(item.text)}</text>`,
      );
    }
  }
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
