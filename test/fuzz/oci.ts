/**
 * Structure-aware mutation of an image archive: one JSON member (index.json, a manifest, a config, Docker's
 * manifest.json) is changed as JSON — a value replaced, a key dropped, a type changed, an array grown — and
 * then every digest, size, blob name and header checksum that depends on it is fixed up, so that the archive
 * still gets past its digest checks and the readers see the damaged JSON itself.
 */
import { createHash } from "node:crypto";
import { fixTarChecksums } from "./fields.js";
import type { Rng } from "./mutator.js";

export interface Member {
  /** The header block(s), pax and GNU long-name blocks included, as found. */
  header: Uint8Array;
  /** Offset of the member's own ustar header inside `header`. */
  own: number;
  name: string;
  data: Uint8Array;
}

const latin1 = new TextDecoder("latin1");
const utf8 = new TextDecoder();
const enc = new TextEncoder();

export function split(b: Uint8Array): { members: Member[]; tail: Uint8Array } | undefined {
  const members: Member[] = [];
  let at = 0;
  let start = 0;
  let longName: string | undefined;
  while (at + 512 <= b.length) {
    const h = b.subarray(at, at + 512);
    if (h.every((x) => x === 0)) return { members, tail: b.slice(at) };
    const size = Number.parseInt(latin1.decode(h.subarray(124, 136)).replace(/[^0-7]/g, "") || "0", 8);
    const type = String.fromCharCode(h[156] as number);
    const data = b.subarray(at + 512, at + 512 + size);
    const next = at + 512 + Math.ceil(size / 512) * 512;
    if (type === "x" || type === "L" || type === "g") {
      if (type === "L") longName = latin1.decode(data).replace(/\0.*$/s, "");
      if (type === "x") longName = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(utf8.decode(data))?.[1] ?? longName;
      at = next;
      continue;
    }
    const field = (o: number, n: number) => latin1.decode(h.subarray(o, o + n)).replace(/\0.*$/s, "");
    const prefix = field(345, 155);
    const name = longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
    members.push({ header: b.slice(start, at + 512), own: at - start, name, data: data.slice() });
    longName = undefined;
    at = next;
    start = at;
  }
  return undefined;
}

export function join(members: readonly Member[], tail: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const m of members) {
    const h = m.header.slice();
    const size = `${m.data.length.toString(8).padStart(11, "0")}\0`;
    for (let k = 0; k < 12; k++) h[m.own + 124 + k] = size.charCodeAt(k);
    fixTarChecksums(h, [m.own]);
    parts.push(h, m.data, new Uint8Array((512 - (m.data.length % 512)) % 512));
  }
  parts.push(tail.length >= 1024 ? tail : new Uint8Array(1024));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");
const HEX = /[0-9a-f]{64}/;

function jsonOf(m: Member): unknown {
  const c = m.data[0];
  if (c !== 0x7b && c !== 0x5b) return undefined;
  try {
    return JSON.parse(utf8.decode(m.data));
  } catch {
    return undefined;
  }
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every container (object or array) in the value with the path to it. */
function containers(v: Json, out: (Json[] | { [k: string]: Json })[] = []): (Json[] | { [k: string]: Json })[] {
  if (v !== null && typeof v === "object") {
    out.push(v);
    for (const c of Array.isArray(v) ? v : Object.values(v)) containers(c, out);
  }
  return out;
}

function strangeValue(rng: Rng, current: Json): Json {
  const choices: Json[] = [
    null,
    true,
    0,
    -1,
    1.5,
    2 ** 53,
    1e308,
    -(2 ** 31),
    0xffff_ffff,
    "",
    "../../etc/passwd",
    "/abs",
    "sha256:",
    `sha256:${"0".repeat(64)}`,
    `sha512:${"0".repeat(128)}`,
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "linux",
    "amd64",
    "x".repeat(1 + rng.below(5000)),
    [],
    {},
    [current],
    { a: current },
  ];
  if (typeof current === "number") choices.push(current + 1, current - 1, current * 1024, -current);
  if (typeof current === "string") {
    choices.push(current.slice(0, rng.below(current.length + 1)), `${current}/..`, current.toUpperCase());
  }
  return rng.pick(choices);
}

function mutateJson(v: Json, rng: Rng): Json {
  const all = containers(v);
  if (all.length === 0 || rng.chance(0.05)) return strangeValue(rng, v);
  const c = rng.pick(all);
  if (Array.isArray(c)) {
    const r = rng.below(4);
    if (c.length > 0 && r === 0) c.splice(rng.below(c.length), 1);
    else if (c.length > 0 && r === 1)
      c.push(...Array.from({ length: 1 + rng.below(rng.chance(0.1) ? 1000 : 3) }, () => structuredClone(c[0] as Json)));
    else if (c.length > 0) c[rng.below(c.length)] = strangeValue(rng, c[rng.below(c.length)] as Json);
    else c.push(strangeValue(rng, null));
  } else {
    const keys = Object.keys(c);
    const r = rng.below(4);
    if (keys.length > 0 && r === 0) delete c[rng.pick(keys)];
    else if (keys.length > 0 && r <= 2) {
      const k = rng.pick(keys);
      c[k] = strangeValue(rng, c[k] as Json);
    } else {
      c[
        rng.pick([
          "mediaType",
          "digest",
          "size",
          "manifests",
          "layers",
          "config",
          "platform",
          "rootfs",
          "diff_ids",
          "os",
          "architecture",
          "Config",
          "Layers",
          "RepoTags",
          "annotations",
          "urls",
        ])
      ] = strangeValue(rng, null);
    }
  }
  return v;
}

/** Sets `size` in every descriptor naming `digest`. */
function fixSizes(v: Json, digest: string, size: number): void {
  for (const c of containers(v)) {
    if (!Array.isArray(c) && c.digest === digest && typeof c.size === "number") c.size = size;
  }
}

/**
 * A structure-aware mutation of an image archive, or undefined when the input does not split into tar
 * members with a JSON member among them.
 */
export function mutateImageJson(input: Uint8Array, rng: Rng): Uint8Array | undefined {
  const parts = split(input);
  if (parts === undefined) return undefined;
  const { members, tail } = parts;
  const json = members.filter((m) => jsonOf(m) !== undefined);
  if (json.length === 0) return undefined;
  const first = rng.pick(json);
  const text = JSON.stringify(mutateJson(jsonOf(first) as Json, rng));
  first.data = enc.encode(rng.chance(0.1) ? `${text} ` : text);
  // Up the chain: whatever names a changed member by digest is rewritten, which changes its digest in turn.
  const queue: Member[] = [first];
  for (let hops = 0; queue.length > 0 && hops < 16; hops++) {
    const m = queue.shift() as Member;
    const old = HEX.exec(m.name.slice(m.name.lastIndexOf("/") + 1))?.[0];
    if (old === undefined) continue;
    const now = sha256(m.data);
    const nameAt = latin1.decode(m.header).indexOf(old);
    m.name = m.name.replace(old, now);
    if (nameAt >= 0) m.header.set(enc.encode(now), nameAt);
    for (const other of members) {
      if (other === m) continue;
      const before = utf8.decode(other.data);
      if (!before.includes(old)) continue;
      const v = jsonOf(other) as Json | undefined;
      if (v === undefined) {
        other.data = enc.encode(before.split(old).join(now));
      } else {
        const replaced = JSON.parse(JSON.stringify(v).split(old).join(now)) as Json;
        fixSizes(replaced, `sha256:${now}`, m.data.length);
        other.data = enc.encode(JSON.stringify(replaced));
      }
      if (!queue.includes(other)) queue.push(other);
    }
  }
  return join(members, tail);
}

/** A plain ustar archive of regular files (names split into prefix and name), for seeds built in memory. */
export function packTar(files: readonly { name: string; data: Uint8Array }[]): Uint8Array {
  const members: Member[] = files.map(({ name, data }) => {
    const h = new Uint8Array(512);
    const cut = name.length > 100 ? name.lastIndexOf("/", 155) : -1;
    const put = (o: number, text: string) => h.set(enc.encode(text), o);
    put(0, cut > 0 ? name.slice(cut + 1) : name);
    if (cut > 0) put(345, name.slice(0, cut));
    put(100, "0000644\0");
    put(108, "0000000\0");
    put(116, "0000000\0");
    put(136, "00000000000\0");
    h[156] = 0x30;
    put(257, "ustar\u000000");
    return { header: h, own: 0, name, data };
  });
  return join(members, new Uint8Array(1024));
}

/** One member's bytes mutated as text (or the member dropped, or copied under another name). */
export function mutateTarMember(
  input: Uint8Array,
  rng: Rng,
  mutateText: (b: Uint8Array) => Uint8Array,
): Uint8Array | undefined {
  const parts = split(input);
  if (parts === undefined || parts.members.length === 0) return undefined;
  const { members, tail } = parts;
  const i = rng.below(members.length);
  const m = members[i] as Member;
  const r = rng.below(10);
  if (r === 0 && members.length > 1) members.splice(i, 1);
  else if (r === 1) {
    const other = members[rng.below(members.length)] as Member;
    members.push({ ...other, header: m.header.slice(), name: m.name, data: other.data.slice() });
    members.splice(i, 1);
  } else m.data = mutateText(m.data);
  return join(members, tail);
}
