/**
 * The heat map as PNG: the scene rasterized to 8-bit RGB, then written as PNG is defined (signature, IHDR,
 * one IDAT of zlib-deflated scanlines each led by filter type 0, IEND; every chunk with its CRC-32).
 */
import { deflateSync } from "node:zlib";
import { LimitError } from "../../io/errors.js";
import { ADVANCE, glyph, textWidth } from "./font.js";
import type { Rgb, Scene } from "./scene.js";

/** Refuse images over this many pixels (3 bytes each in memory). */
export const MAX_PIXELS = 64 * 1024 * 1024;

export const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 as PNG (and zlib) define it: reflected polynomial 0xEDB88320. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "latin1");
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** PNG bytes of an RGB image (`rgb` is width × height × 3, rows top to bottom). */
export function encodePng(width: number, height: number, rgb: Uint8Array): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8 bits per sample, truecolour, deflate, adaptive filtering, no interlace
  const stride = width * 3;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) raw.set(rgb.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  return Buffer.concat([
    PNG_SIGNATURE,
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw, { level: 9 })),
    chunk("IEND", new Uint8Array(0)),
  ]);
}

/** Draws the scene; `file` names the output in a LimitError. */
export function rasterize(scene: Scene, file: string): Uint8Array {
  const { width, height } = scene;
  if (width * height > MAX_PIXELS) throw new LimitError(file, 0, "heat map pixels", MAX_PIXELS, width * height);
  const px = new Uint8Array(width * height * 3).fill(255);
  const fill = (x0: number, y0: number, w: number, h: number, c: Rgb) => {
    const xs = Math.max(0, Math.round(x0));
    const ys = Math.max(0, Math.round(y0));
    const xe = Math.min(width, Math.round(x0 + w));
    const ye = Math.min(height, Math.round(y0 + h));
    for (let y = ys; y < ye; y++)
      for (let x = xs; x < xe; x++) {
        const o = (y * width + x) * 3;
        px[o] = c[0];
        px[o + 1] = c[1];
        px[o + 2] = c[2];
      }
  };
  for (const item of scene.items) {
    if (item.kind === "rect") {
      fill(item.x, item.y, item.w, item.h, item.fill);
      continue;
    }
    const s = item.scale;
    let x = item.anchor === "middle" ? item.x - textWidth(item.text, s) / 2 : item.x;
    for (const ch of item.text) {
      glyph(ch).forEach((row, gy) => {
        for (let gx = 0; gx < row.length; gx++)
          if (row[gx] === "1") fill(x + gx * s, item.y + gy * s, s, s, item.color);
      });
      x += ADVANCE * s;
    }
  }
  return px;
}

export const renderPng = (scene: Scene, file: string): Buffer =>
  encodePng(scene.width, scene.height, rasterize(scene, file));
