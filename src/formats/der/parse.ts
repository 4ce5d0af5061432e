import { FormatError } from "../../io/errors.js";

/** One DER element: tag byte, where its content lies, and its children when constructed. */
export interface Der {
  readonly tag: number;
  /** Offset of the tag byte, relative to the start of the parsed buffer plus `base`. */
  readonly offset: number;
  readonly header: number;
  readonly content: Uint8Array;
  /** The whole element, tag to end. */
  readonly raw: Uint8Array;
  readonly children: readonly Der[];
}

const CONSTRUCTED = 0x20;

/**
 * Strict DER: definite lengths only, in their shortest form, never past the enclosing element. Indefinite or
 * oversized lengths are FormatErrors naming the offset, so a hostile blob cannot make the parser allocate.
 */
export function parseDer(bytes: Uint8Array, file: string, base = 0, depth = 0): Der {
  const [el, end] = element(bytes, 0, bytes.length, file, base, depth);
  if (end !== bytes.length) throw new FormatError(file, base + end, "DER", "the end of the element", "trailing bytes");
  return el;
}

function element(b: Uint8Array, at: number, limit: number, file: string, base: number, depth: number): [Der, number] {
  if (depth > 32) throw new FormatError(file, base + at, "DER", "at most 32 levels of nesting");
  if (at + 2 > limit) throw new FormatError(file, base + at, "DER header", "a tag and a length", "end of data");
  const tag = b[at] as number;
  if ((tag & 0x1f) === 0x1f) throw new FormatError(file, base + at, "DER tag", "a single-byte tag", "a multi-byte tag");
  const first = b[at + 1] as number;
  let len: number;
  let header = 2;
  if (first < 0x80) len = first;
  else if (first === 0x80) throw new FormatError(file, base + at + 1, "DER length", "a definite length", "indefinite");
  else {
    const n = first & 0x7f;
    if (n > 4) throw new FormatError(file, base + at + 1, "DER length", "at most 4 length bytes", `${n}`);
    if (at + 2 + n > limit) throw new FormatError(file, base + at + 2, "DER length", `${n} bytes`, "end of data");
    if (b[at + 2] === 0) {
      throw new FormatError(file, base + at + 2, "DER length", "no leading zero length byte", `${n} length bytes`);
    }
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (b[at + 2 + i] as number);
    if (len < 0x80)
      throw new FormatError(file, base + at + 1, "DER length", "the short form below 128", `long form ${len}`);
    header += n;
  }
  const start = at + header;
  if (start + len > limit) {
    throw new FormatError(file, base + at + 1, "DER length", `at most ${limit - start} bytes`, `${len}`);
  }
  const content = b.subarray(start, start + len);
  const children: Der[] = [];
  if (tag & CONSTRUCTED) {
    let p = start;
    while (p < start + len) {
      const [child, next] = element(b, p, start + len, file, base, depth + 1);
      children.push(child);
      p = next;
    }
  }
  return [{ tag, offset: base + at, header, content, raw: b.subarray(at, start + len), children }, start + len];
}

/** Dotted text of an OBJECT IDENTIFIER's content. */
export function oid(content: Uint8Array): string {
  const parts: number[] = [];
  let v = 0;
  for (const byte of content) {
    v = v * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  const [head = 0, ...rest] = parts;
  const a = head < 80 ? Math.floor(head / 40) : 2;
  return [a, head - a * 40, ...rest].join(".");
}

/** The child at `i`, or a FormatError saying which structure lacked it. */
export function child(d: Der, i: number, file: string, what: string, tag?: number): Der {
  const c = d.children[i];
  if (c === undefined || (tag !== undefined && c.tag !== tag)) {
    throw new FormatError(
      file,
      d.offset,
      what,
      tag === undefined ? `element ${i}` : `tag 0x${tag.toString(16)} at ${i}`,
    );
  }
  return c;
}

export const TAG = { INTEGER: 0x02, OCTET_STRING: 0x04, OID: 0x06, SEQUENCE: 0x30, SET: 0x31 } as const;

/** Upper-case colon hex, as modinfo and openssl print serials and key ids. */
export function colonHex(b: Uint8Array): string {
  const out = new Array<string>(b.length);
  for (let i = 0; i < b.length; i++) out[i] = HEX[b[i] as number] as string;
  return out.join(":");
}
const HEX = Array.from({ length: 256 }, (_, x) => x.toString(16).toUpperCase().padStart(2, "0"));

/** An INTEGER's magnitude without the sign byte DER adds (BN_bn2bin's view). */
export function unsignedInteger(content: Uint8Array): Uint8Array {
  let i = 0;
  while (i < content.length - 1 && content[i] === 0) i++;
  return content.subarray(i);
}

/** A Name's attribute values in order, each with its type's OID (strings decoded as UTF-8). */
export function nameAttributes(name: Der): { readonly type: string; readonly value: string }[] {
  const out: { type: string; value: string }[] = [];
  for (const rdn of name.children) {
    for (const atv of rdn.children) {
      const [type, value] = atv.children;
      if (type?.tag === TAG.OID && value)
        out.push({ type: oid(type.content), value: new TextDecoder().decode(value.content) });
    }
  }
  return out;
}

export const COMMON_NAME = "2.5.4.3";

/** The first commonName of a Name. */
export const commonName = (name: Der): string | undefined =>
  nameAttributes(name).find((a) => a.type === COMMON_NAME)?.value;

export const bytesEqual = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);
