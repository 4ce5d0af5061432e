/**
 * A small seeded mutator: the same seed and the same input always give the same output, so every failure
 * can be made again from the seed that found it (`npm run fuzz -- --target T --repro SEED`).
 *
 * Byte-level mutations (bit flips, interesting bytes and words, splices, truncation, chunk duplication and
 * removal) apply to any input; a target that knows its format adds `fields`: where its header and length
 * fields are, so that those are set to the values a parser is most likely to mishandle.
 */

/** xoshiro128** seeded through splitmix32: fast, and the same sequence on every platform. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: number) {
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next() | 1;
  }
  /** A uniform 32-bit unsigned integer (xoshiro128**). */
  u32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.b << 9) >>> 0;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }
  /** An integer in [0, n). */
  below(n: number): number {
    if (n <= 1) return 0;
    if (n <= 0x1_0000_0000) return Math.floor((this.u32() / 0x1_0000_0000) * n);
    return Math.floor(((this.u32() * 0x1_0000_0000 + this.u32()) / 2 ** 64) * n);
  }
  chance(p: number): boolean {
    return this.u32() / 0x1_0000_0000 < p;
  }
  pick<T>(list: readonly T[]): T {
    if (list.length === 0) throw new Error("pick from an empty list");
    return list[this.below(list.length)] as T;
  }
}

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

/** The seed of iteration `i` of a run seeded with `run`: independent of every other iteration. */
export function iterationSeed(run: number, i: number): number {
  let h = (Math.imul(run >>> 0, 0x9e3779b1) ^ Math.imul(i >>> 0, 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39) >>> 0;
  return (h ^ (h >>> 15)) >>> 0;
}

/** A known field of a structured input: a header field, a length, a count or an offset. */
export interface Field {
  readonly offset: number;
  /** 1, 2, 4 or 8 bytes; ASCII fields (tar's octal numbers, cpio's hex) give their width and `text`. */
  readonly size: number;
  readonly bigEndian?: boolean;
  /** An ASCII number of this radix (8 for tar, 16 for cpio) filling `size` bytes. */
  readonly text?: 8 | 16 | 10;
  /** What the field is, for reports. */
  readonly name?: string;
}

/** Values that parsers get wrong: zero, all ones, signed edges, and sizes near the input's length. */
function interesting(rng: Rng, len: number, size: number, current: bigint): bigint {
  const max = size >= 8 ? 2n ** 64n - 1n : (1n << BigInt(size * 8)) - 1n;
  const choices: bigint[] = [
    0n,
    1n,
    max,
    max - 1n,
    max >> 1n,
    (max >> 1n) + 1n,
    0x7fn,
    0x80n,
    0xffn,
    0x100n,
    0x7fffn,
    0x8000n,
    0xffffn,
    0x10000n,
    0x7fff_ffffn,
    0x8000_0000n,
    0xffff_ffffn,
    0x1_0000_0000n,
    2n ** 53n,
    BigInt(len),
    BigInt(len) - 1n,
    BigInt(len) + 1n,
    BigInt(len) * 2n,
    BigInt(Math.floor(len / 2)),
    BigInt(rng.below(Math.max(1, len))),
    current + 1n,
    current - 1n,
    current + BigInt(1 + rng.below(16)),
    current - BigInt(1 + rng.below(16)),
    current * 2n,
    current << 8n,
    current >> 1n,
  ];
  const v = rng.pick(choices);
  return ((v % (max + 1n)) + (max + 1n)) % (max + 1n);
}

const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x20, 0x2f, 0x30, 0x39, 0x0a, 0x2e];

function readUint(b: Uint8Array, f: Field): bigint {
  if (f.text !== undefined) {
    const s = new TextDecoder("latin1").decode(b.subarray(f.offset, f.offset + f.size)).replace(/[^0-9a-fA-F]/g, "");
    if (s === "") return 0n;
    const n = Number.parseInt(s, f.text);
    return Number.isFinite(n) ? BigInt(n) : 0n;
  }
  let v = 0n;
  for (let k = 0; k < f.size; k++) {
    const byte = b[f.offset + (f.bigEndian ? k : f.size - 1 - k)] ?? 0;
    v = (v << 8n) | BigInt(byte);
  }
  return v;
}

function writeUint(b: Uint8Array, f: Field, v: bigint): void {
  if (f.text !== undefined) {
    let s = v.toString(f.text);
    // A number too wide for the field keeps its low digits; ASCII fields often end in a NUL or a space.
    s = s.length > f.size ? s.slice(s.length - f.size) : s.padStart(f.size, "0");
    for (let k = 0; k < f.size && f.offset + k < b.length; k++) b[f.offset + k] = s.charCodeAt(k);
    return;
  }
  for (let k = 0; k < f.size; k++) {
    const at = f.offset + (f.bigEndian ? f.size - 1 - k : k);
    if (at < b.length) b[at] = Number((v >> BigInt(8 * k)) & 0xffn);
  }
}

/** Sets a field to an interesting value (or a near one). */
export function mutateField(b: Uint8Array, f: Field, rng: Rng): void {
  if (f.offset + f.size > b.length) return;
  writeUint(
    b,
    f,
    interesting(rng, b.length, f.text !== undefined ? Math.ceil((f.size * 3) / 8) : f.size, readUint(b, f)),
  );
}

/** The mutations, each taking the input and returning the mutated one (in place where the length stays). */
type Mutation = (b: Uint8Array, rng: Rng, other: Uint8Array) => Uint8Array;

const pos = (b: Uint8Array, rng: Rng): number => rng.below(Math.max(1, b.length));
/** A chunk length: mostly short, sometimes long. */
const chunkLen = (b: Uint8Array, rng: Rng): number =>
  1 + (rng.chance(0.8) ? rng.below(Math.min(64, Math.max(1, b.length))) : rng.below(Math.max(1, b.length)));

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const BYTE_MUTATIONS: readonly Mutation[] = [
  // A bit flip.
  (b, rng) => {
    if (b.length > 0) {
      const at = pos(b, rng);
      b[at] = (b[at] as number) ^ (1 << rng.below(8));
    }
    return b;
  },
  // A byte set to an interesting value.
  (b, rng) => {
    if (b.length > 0) b[pos(b, rng)] = rng.pick(INTERESTING_BYTES);
    return b;
  },
  // A random byte.
  (b, rng) => {
    if (b.length > 0) b[pos(b, rng)] = rng.below(256);
    return b;
  },
  // A 16-, 32- or 64-bit word, either byte order, set to an interesting value.
  (b, rng) => {
    const size = rng.pick([2, 4, 4, 8]);
    if (b.length < size) return b;
    mutateField(b, { offset: rng.below(b.length - size + 1), size, bigEndian: rng.chance(0.3) }, rng);
    return b;
  },
  // A run of bytes set to one value.
  (b, rng) => {
    const at = pos(b, rng);
    b.fill(rng.pick(INTERESTING_BYTES), at, Math.min(b.length, at + chunkLen(b, rng)));
    return b;
  },
  // Truncation.
  (b, rng) => b.subarray(0, rng.below(b.length + 1)),
  // A chunk removed.
  (b, rng) => {
    const at = pos(b, rng);
    return concat(b.subarray(0, at), b.subarray(Math.min(b.length, at + chunkLen(b, rng))));
  },
  // A chunk duplicated in place.
  (b, rng) => {
    const at = pos(b, rng);
    const chunk = b.slice(at, Math.min(b.length, at + chunkLen(b, rng)));
    return concat(b.subarray(0, at), chunk, b.subarray(at));
  },
  // A chunk copied over another place.
  (b, rng) => {
    const from = pos(b, rng);
    const chunk = b.slice(from, Math.min(b.length, from + chunkLen(b, rng)));
    const to = pos(b, rng);
    b.set(chunk.subarray(0, Math.max(0, b.length - to)), to);
    return b;
  },
  // A splice: the head of this input, the tail of another (or of itself).
  (b, rng, other) => {
    const src = other.length > 0 && rng.chance(0.7) ? other : b;
    return concat(b.subarray(0, pos(b, rng)), src.subarray(pos(src, rng)));
  },
  // Random bytes inserted.
  (b, rng) => {
    const n = 1 + rng.below(16);
    const ins = new Uint8Array(n);
    for (let k = 0; k < n; k++) ins[k] = rng.below(256);
    const at = pos(b, rng);
    return concat(b.subarray(0, at), ins, b.subarray(at));
  },
];

/** Text inputs (templates, YAML): syntax-bearing characters and tokens inserted, swapped and repeated. */
const TEXT_TOKENS = [
  "{{",
  "}}",
  "{{-",
  "-}}",
  "{{ ",
  " }}",
  "(",
  ")",
  "|",
  '"',
  "'",
  "`",
  "\\",
  ":",
  "- ",
  "\n",
  "\n  ",
  "#",
  "&a",
  "*a",
  "!!str",
  "!!binary",
  "<<: *a",
  "---\n",
  "...\n",
  "[",
  "]",
  "{",
  "}",
  ",",
  "?",
  "%YAML 1.2\n",
  "\t",
  "\u0000",
  "\uffff",
  "\ud800",
  " if ",
  " else ",
  " end ",
  " range ",
  " with ",
  " define ",
  " template ",
  " block ",
  " printf ",
  " eq ",
  " ne ",
  " and ",
  " or ",
  " not ",
  " default ",
  " index ",
  " len ",
  " $x := ",
  " $ ",
  ".",
  ".VERSION",
  "9999999999999999999999",
  "-1",
  "0x",
  "1e999",
  "/*",
  "*/",
  "$",
  "${",
  "$(",
  "~",
  "null",
  "true",
  "yes",
];

const encoder = new TextEncoder();

const TEXT_MUTATIONS: readonly Mutation[] = [
  (b, rng) => {
    const at = pos(b, rng);
    return concat(b.subarray(0, at), encoder.encode(rng.pick(TEXT_TOKENS)), b.subarray(at));
  },
  (b, rng) => {
    const at = pos(b, rng);
    const tok = encoder.encode(rng.pick(TEXT_TOKENS));
    return concat(b.subarray(0, at), tok, b.subarray(Math.min(b.length, at + tok.length)));
  },
  // A line duplicated or removed.
  (b, rng) => {
    const lines = splitLines(b);
    if (lines.length === 0) return b;
    const i = rng.below(lines.length);
    const line = lines[i] as Uint8Array;
    if (rng.chance(0.5)) lines.splice(i, 1);
    else {
      const n = Math.min(1 + rng.below(rng.chance(0.1) ? 200 : 3), Math.floor((256 << 10) / Math.max(1, line.length)));
      lines.splice(i, 0, ...Array.from({ length: n }, () => line));
    }
    return concat(...lines);
  },
  // The indentation of a line changed.
  (b, rng) => {
    const lines = splitLines(b);
    if (lines.length === 0) return b;
    const i = rng.below(lines.length);
    const line = lines[i] as Uint8Array;
    lines[i] = rng.chance(0.5) ? concat(encoder.encode(" ".repeat(1 + rng.below(4))), line) : line.subarray(1);
    return concat(...lines);
  },
  // A token repeated many times: deep nesting.
  (b, rng) => {
    const at = pos(b, rng);
    const tok = rng.pick(["{{ (", "[", "{", "- ", "{{ if 1 }}", ")", "}}", "{{ end }}", "  "]);
    return concat(b.subarray(0, at), encoder.encode(tok.repeat(1 + rng.below(2000))), b.subarray(at));
  },
];

function splitLines(b: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  for (let k = 0; k < b.length; k++) {
    if (b[k] === 0x0a) {
      out.push(b.subarray(start, k + 1));
      start = k + 1;
    }
  }
  if (start < b.length) out.push(b.subarray(start));
  return out;
}

export interface MutateOptions {
  /** Known fields of the input (header, lengths, offsets), mutated more often than other bytes. */
  readonly fields?: readonly Field[];
  /** The input is text: also insert and repeat syntax tokens. */
  readonly text?: boolean;
  /** Another seed to splice from. */
  readonly other?: Uint8Array;
}

/**
 * A mutated copy of `input`: 1 to 8 stacked mutations (sometimes more), a third of them on the known fields
 * when there are some.
 */
export function mutate(input: Uint8Array, rng: Rng, opts: MutateOptions = {}): Uint8Array {
  let b: Uint8Array = input.slice();
  const fields = opts.fields ?? [];
  // Stacked growing mutations (a line repeated, then repeated again) are kept from growing without bound.
  const maxLength = Math.max(4 * input.length, input.length + (256 << 10));
  const n = rng.chance(0.1) ? 1 + rng.below(32) : 1 + rng.below(rng.chance(0.5) ? 2 : 8);
  for (let k = 0; k < n; k++) {
    const r = rng.below(100);
    if (fields.length > 0 && r < 40) {
      mutateField(b, rng.pick(fields), rng);
    } else if (opts.text && r >= 40 && r < 80) {
      const next = rng.pick(TEXT_MUTATIONS)(b, rng, opts.other ?? new Uint8Array());
      if (next.length <= maxLength) b = next;
    } else {
      const m = rng.pick(BYTE_MUTATIONS);
      // Length-changing mutations break every offset after them: used less on structured inputs.
      if (fields.length > 0 && BYTE_MUTATIONS.indexOf(m) >= 5 && rng.chance(0.5)) continue;
      const next = m(b, rng, opts.other ?? new Uint8Array());
      if (next.length <= maxLength) b = next;
    }
  }
  return b;
}
