/**
 * Semantic versions and version ranges with the semantics of github.com/blang/semver/v4, the library Talos
 * uses (since v1.6.0-alpha.0) to check an extension's `compatibility.talos.version` constraint
 * (siderolabs/talos pkg/machinery/extensions/validate.go). Its quirks are kept on purpose, so that a
 * constraint accepted or refused here is accepted or refused by Talos:
 *  - a range is comparators joined by spaces (AND) and `||` (OR); no `~`, `^`, `,`, hyphen ranges or brackets;
 *  - a space right after `<`, `>` or `=` does not split (`>= 1.2.0` is one comparator), and a one-character
 *    token between spaces is dropped;
 *  - any comparator containing an `x` goes through wildcard expansion (`1.2.x`, `<=1.x`).
 * Numbers are unsigned 64-bit, so they are kept as bigint.
 */

export class SemverError extends Error {
  override readonly name = "SemverError";
}

export type PreReleaseId = { readonly num: bigint } | { readonly str: string };

export interface SemVersion {
  readonly major: bigint;
  readonly minor: bigint;
  readonly patch: bigint;
  readonly pre: readonly PreReleaseId[];
  readonly build: readonly string[];
}

const UINT64_MAX = (1n << 64n) - 1n;
const DIGITS = /^[0-9]*$/;
const ALPHANUM = /^[0-9A-Za-z-]*$/;
const q = (s: string): string => JSON.stringify(s);

function parseUint(s: string, what: string): bigint {
  // Go's strconv.ParseUint: at least one digit, no sign, within 64 bits.
  if (s.length === 0) throw new SemverError(`strconv.ParseUint: parsing ${q(s)}: invalid syntax`);
  const n = BigInt(s);
  if (n > UINT64_MAX) throw new SemverError(`strconv.ParseUint: parsing ${q(s)}: value out of range (${what})`);
  return n;
}

const leadingZero = (s: string): boolean => s.length > 1 && s[0] === "0";

function numberPart(s: string, what: "Major" | "Minor" | "Patch"): bigint {
  if (!DIGITS.test(s)) throw new SemverError(`Invalid character(s) found in ${what.toLowerCase()} number ${q(s)}`);
  if (leadingZero(s)) throw new SemverError(`${what} number must not contain leading zeroes ${q(s)}`);
  return parseUint(s, what);
}

function preReleaseId(s: string): PreReleaseId {
  if (s.length === 0) throw new SemverError("Prerelease is empty");
  if (DIGITS.test(s)) {
    if (leadingZero(s)) throw new SemverError(`Numeric PreRelease version must not contain leading zeroes ${q(s)}`);
    return { num: parseUint(s, "prerelease") };
  }
  if (ALPHANUM.test(s)) return { str: s };
  throw new SemverError(`Invalid character(s) found in prerelease ${q(s)}`);
}

/** Strict `MAJOR.MINOR.PATCH[-PRE][+BUILD]`, no `v` prefix (blang `Parse`). */
export function parseSemver(s: string): SemVersion {
  if (s.length === 0) throw new SemverError("Version string empty");
  const first = s.indexOf(".");
  const second = first < 0 ? -1 : s.indexOf(".", first + 1);
  if (second < 0) throw new SemverError("No Major.Minor.Patch elements found");
  const major = numberPart(s.slice(0, first), "Major");
  const minor = numberPart(s.slice(first + 1, second), "Minor");
  let rest = s.slice(second + 1);
  let build: string[] = [];
  let pre: string[] = [];
  const plus = rest.indexOf("+");
  if (plus >= 0) {
    build = rest.slice(plus + 1).split(".");
    rest = rest.slice(0, plus);
  }
  const dash = rest.indexOf("-");
  if (dash >= 0) {
    pre = rest.slice(dash + 1).split(".");
    rest = rest.slice(0, dash);
  }
  const patch = numberPart(rest, "Patch");
  const preIds = pre.map(preReleaseId);
  for (const b of build) {
    if (b.length === 0) throw new SemverError("Build meta data is empty");
    if (!ALPHANUM.test(b)) throw new SemverError(`Invalid character(s) found in build meta data ${q(b)}`);
  }
  return { major, minor, patch, pre: preIds, build };
}

// Go's unicode.IsSpace set, for strings.TrimSpace.
const GO_SPACE =
  "\t\n\v\f\r \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000";

function goTrimSpace(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && GO_SPACE.includes(s[a] as string)) a++;
  while (b > a && GO_SPACE.includes(s[b - 1] as string)) b--;
  return s.slice(a, b);
}

/**
 * blang `ParseTolerant`: trims spaces and a leading `v`, drops leading zeros and fills a missing minor or
 * patch with 0 (`v1.13` is 1.13.0). Talos reads its own version this way.
 */
export function parseSemverTolerant(input: string): SemVersion {
  let s = goTrimSpace(input);
  if (s.startsWith("v")) s = s.slice(1);
  const parts = splitN(s, ".", 3).map((p) => {
    if (p.length <= 1) return p;
    const t = p.replace(/^0+/, "");
    return t.length === 0 || !/^[0-9]/.test(t) ? `0${t}` : t;
  });
  if (parts.length < 3) {
    if (/[+-]/.test(parts[parts.length - 1] as string)) {
      throw new SemverError("Short version cannot contain PreRelease/Build meta data");
    }
    while (parts.length < 3) parts.push("0");
  }
  return parseSemver(parts.join("."));
}

function splitN(s: string, sep: string, n: number): string[] {
  const out: string[] = [];
  let rest = s;
  while (out.length < n - 1) {
    const i = rest.indexOf(sep);
    if (i < 0) break;
    out.push(rest.slice(0, i));
    rest = rest.slice(i + sep.length);
  }
  out.push(rest);
  return out;
}

function cmp<T extends bigint | number | string>(a: T, b: T): -1 | 0 | 1 {
  return a === b ? 0 : a > b ? 1 : -1;
}

function comparePre(a: PreReleaseId, b: PreReleaseId): -1 | 0 | 1 {
  if ("num" in a) return "num" in b ? cmp(a.num, b.num) : -1;
  if ("num" in b) return 1;
  // Go compares strings byte by byte; the identifiers are ASCII, where that is JavaScript's order too.
  return cmp(a.str, b.str);
}

/** Semver precedence: build metadata is ignored, a pre-release sorts before its release. */
export function compareSemver(a: SemVersion, b: SemVersion): -1 | 0 | 1 {
  const core = cmp(a.major, b.major) || cmp(a.minor, b.minor) || cmp(a.patch, b.patch);
  if (core !== 0) return core;
  // A version without pre-release identifiers is greater than one with.
  if (a.pre.length === 0 || b.pre.length === 0) return cmp(b.pre.length, a.pre.length);
  const n = Math.min(a.pre.length, b.pre.length);
  for (let i = 0; i < n; i++) {
    const c = comparePre(a.pre[i] as PreReleaseId, b.pre[i] as PreReleaseId);
    if (c !== 0) return c;
  }
  return cmp(a.pre.length, b.pre.length);
}

export function formatSemver(v: SemVersion): string {
  const pre = v.pre.map((p) => ("num" in p ? p.num.toString() : p.str)).join(".");
  return `${v.major}.${v.minor}.${v.patch}${pre ? `-${pre}` : ""}${v.build.length ? `+${v.build.join(".")}` : ""}`;
}

/** The version without pre-release and build metadata, as Talos checks constraints against it. */
export const coreVersion = (v: SemVersion): SemVersion => ({
  major: v.major,
  minor: v.minor,
  patch: v.patch,
  pre: [],
  build: [],
});

export type Operator = "=" | "!=" | ">" | ">=" | "<" | "<=";

export interface Comparator {
  readonly op: Operator;
  readonly version: SemVersion;
}

/** A parsed range: OR of AND-groups of comparators. */
export interface SemverRange {
  readonly anyOf: readonly (readonly Comparator[])[];
}

const OPERATORS: Readonly<Record<string, Operator>> = {
  "": "=",
  "=": "=",
  "==": "=",
  "!": "!=",
  "!=": "!=",
  ">": ">",
  ">=": ">=",
  "<": "<",
  "<=": "<=",
};

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** blang `splitAndTrim`, on UTF-8 bytes as Go indexes strings, with its token-length quirk kept. */
function splitAndTrim(s: string): string[] {
  const b = encoder.encode(s);
  const SPACE = 0x20;
  const out: string[] = [];
  let last = 0;
  let lastChar = 0;
  for (let i = 0; i < b.length; i++) {
    const c = b[i] as number;
    if (c === SPACE && lastChar !== 0x3e && lastChar !== 0x3c && lastChar !== 0x3d) {
      if (last < i - 1) out.push(decoder.decode(b.subarray(last, i)));
      last = i + 1;
    } else if (c !== SPACE) {
      lastChar = c;
    }
  }
  if (last < b.length - 1) out.push(decoder.decode(b.subarray(last)));
  return out.map((t) => t.replaceAll(" ", ""));
}

function splitOrParts(parts: string[]): string[][] {
  const out: string[][] = [];
  let last = 0;
  for (let i = 0; i < parts.length; i++) {
    if (parts[i] !== "||") continue;
    if (i === 0) throw new SemverError("First element in range is '||'");
    out.push(parts.slice(last, i));
    last = i + 1;
  }
  if (last === parts.length) throw new SemverError("Last element in range is '||'");
  out.push(parts.slice(last));
  return out;
}

/** Operator and version of one comparator: the version starts at the first (Unicode) digit, as in Go. */
function splitComparatorVersion(s: string): [string, string] {
  const i = s.search(/\p{Nd}/u);
  if (i < 0) throw new SemverError(`Could not get version from string: ${q(s)}`);
  return [goTrimSpace(s.slice(0, i)), s.slice(i)];
}

// strconv.Atoi: optional sign, decimal digits, int64.
function atoi(s: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const n = BigInt(s);
  return n >= -(1n << 63n) && n < 1n << 63n ? n : undefined;
}

function incrementPart(v: string, index: 0 | 1): string {
  const parts = v.split(".");
  const n = atoi(parts[index] as string);
  if (n === undefined) return "";
  parts[index] = (n + 1n).toString();
  return parts.join(".");
}

/** blang `expandWildcardVersion` for one AND-group, including what it does with stray `x` characters. */
function expandWildcards(group: string[]): string[] {
  const out: string[] = [];
  for (let ap of group) {
    if (ap.includes("x")) {
      const [op, v] = splitComparatorVersion(ap);
      const parts = v.split(".");
      const kind = parts[parts.length - 1] === "x" ? parts.length : 0; // 2: minor wildcard, 3: patch wildcard
      let flat = v.replace(".x.x", ".x").replace(".x", ".0");
      if (flat.split(".").length === 2) flat = `${flat}.0`;
      let resultOp = "";
      let increment = false;
      switch (op) {
        case ">":
          resultOp = ">=";
          increment = true;
          break;
        case ">=":
          resultOp = ">=";
          break;
        case "<":
          resultOp = "<";
          break;
        case "<=":
          resultOp = "<";
          increment = true;
          break;
        case "":
        case "=":
        case "==":
          out.push(`>=${flat}`);
          resultOp = "<";
          increment = true;
          break;
        case "!=":
        case "!":
          out.push(`<${flat}`);
          resultOp = ">=";
          increment = true;
          break;
      }
      let resultVersion = "";
      if (!increment) resultVersion = flat;
      else if (kind === 3) resultVersion = incrementPart(flat, 1);
      else if (kind === 2) resultVersion = incrementPart(flat, 0);
      ap = resultOp + resultVersion;
    }
    out.push(ap);
  }
  return out;
}

/** Parse a range as blang `ParseRange` does; throws SemverError with blang's message when it refuses. */
export function parseRange(s: string): SemverRange {
  const groups = splitOrParts(splitAndTrim(s)).map(expandWildcards);
  return {
    anyOf: groups.map((group) =>
      group.map((ap): Comparator => {
        const [opStr, vStr] = splitComparatorVersion(ap);
        const op = OPERATORS[opStr];
        if (op === undefined) {
          throw new SemverError(`Could not parse Range ${q(ap)}: Could not parse comparator ${q(opStr)} in ${q(ap)}`);
        }
        try {
          return { op, version: parseSemver(vStr) };
        } catch (err) {
          const why = err instanceof Error ? err.message : String(err);
          throw new SemverError(
            `Could not parse Range ${q(ap)}: Could not parse version ${q(vStr)} in ${q(ap)}: ${why}`,
          );
        }
      }),
    ),
  };
}

function holds(c: Comparator, v: SemVersion): boolean {
  const r = compareSemver(v, c.version);
  switch (c.op) {
    case "=":
      return r === 0;
    case "!=":
      return r !== 0;
    case ">":
      return r === 1;
    case ">=":
      return r >= 0;
    case "<":
      return r === -1;
    case "<=":
      return r <= 0;
  }
}

export function satisfies(range: SemverRange, v: SemVersion): boolean {
  return range.anyOf.some((group) => group.every((c) => holds(c, v)));
}
