import { endianness } from "node:os";

/** XXH32, the checksum of lz4 frames (header, blocks, content), fed piece by piece. */
const P1 = 0x9e3779b1;
const P2 = 0x85ebca77;
const P3 = 0xc2b2ae3d;
const P4 = 0x27d4eb2f;
const P5 = 0x165667b1;

/** Whole words can be read through a Uint32Array only where the machine's order is the format's. */
const LE = endianness() === "LE";

const rotl = (x: number, r: number) => (x << r) | (x >>> (32 - r));

export class Xxh32 {
  private readonly v = new Int32Array([(P1 + P2) | 0, P2 | 0, 0, -P1 | 0]);
  private readonly tail = new Uint8Array(16);
  private tailLength = 0;
  private total = 0;

  update(b: Uint8Array): this {
    this.total += b.length;
    let i = 0;
    if (this.tailLength > 0) {
      i = Math.min(16 - this.tailLength, b.length);
      this.tail.set(b.subarray(0, i), this.tailLength);
      this.tailLength += i;
      if (this.tailLength < 16) return this;
      this.stripes(this.tail, 0, 16);
      this.tailLength = 0;
    }
    const end = i + ((b.length - i) & ~15);
    this.stripes(b, i, end);
    this.tail.set(b.subarray(end));
    this.tailLength = b.length - end;
    return this;
  }

  digest(): number {
    const v = this.v;
    let h =
      this.total >= 16
        ? rotl(v[0] as number, 1) + rotl(v[1] as number, 7) + rotl(v[2] as number, 12) + rotl(v[3] as number, 18)
        : (v[2] as number) + P5;
    h = (h + this.total) | 0;
    const t = this.tail;
    const words = new DataView(t.buffer);
    let i = 0;
    for (; i + 4 <= this.tailLength; i += 4)
      h = Math.imul(rotl((h + Math.imul(words.getUint32(i, true), P3)) | 0, 17), P4);
    for (; i < this.tailLength; i++) h = Math.imul(rotl((h + Math.imul(t[i] as number, P5)) | 0, 11), P1);
    h = Math.imul(h ^ (h >>> 15), P2);
    h = Math.imul(h ^ (h >>> 13), P3);
    return (h ^ (h >>> 16)) >>> 0;
  }

  /** The four lanes over b[start, end), a multiple of 16 bytes. */
  private stripes(b: Uint8Array, start: number, end: number): void {
    const v = this.v;
    let v1 = v[0] as number;
    let v2 = v[1] as number;
    let v3 = v[2] as number;
    let v4 = v[3] as number;
    const at = b.byteOffset + start;
    if (LE && at % 4 === 0) {
      const w = new Uint32Array(b.buffer, at, (end - start) >> 2);
      for (let i = 0; i < w.length; i += 4) {
        v1 = Math.imul(rotl((v1 + Math.imul(w[i] as number, P2)) | 0, 13), P1);
        v2 = Math.imul(rotl((v2 + Math.imul(w[i + 1] as number, P2)) | 0, 13), P1);
        v3 = Math.imul(rotl((v3 + Math.imul(w[i + 2] as number, P2)) | 0, 13), P1);
        v4 = Math.imul(rotl((v4 + Math.imul(w[i + 3] as number, P2)) | 0, 13), P1);
      }
    } else {
      const d = new DataView(b.buffer, b.byteOffset, b.length);
      for (let i = start; i < end; i += 16) {
        v1 = Math.imul(rotl((v1 + Math.imul(d.getUint32(i, true), P2)) | 0, 13), P1);
        v2 = Math.imul(rotl((v2 + Math.imul(d.getUint32(i + 4, true), P2)) | 0, 13), P1);
        v3 = Math.imul(rotl((v3 + Math.imul(d.getUint32(i + 8, true), P2)) | 0, 13), P1);
        v4 = Math.imul(rotl((v4 + Math.imul(d.getUint32(i + 12, true), P2)) | 0, 13), P1);
      }
    }
    v[0] = v1;
    v[1] = v2;
    v[2] = v3;
    v[3] = v4;
  }
}

export const xxh32 = (b: Uint8Array): number => new Xxh32().update(b).digest();
