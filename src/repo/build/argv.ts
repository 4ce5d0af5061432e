/** The options of a command's argument list, as getopt reads them. */

export interface Options {
  readonly flags: Set<string>;
  readonly values: Map<string, string>;
  readonly operands: string[];
}

/** Parses short and long options of a command; `valued` are the short letters that take a value. */
export function parseOptions(args: readonly string[], valued: string, longValued: readonly string[] = []): Options {
  const o: Options = { flags: new Set(), values: new Map(), operands: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === "--") {
      o.operands.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith("--")) i = longOption(o, a, args, i, longValued);
    else if (a.startsWith("-") && a.length > 1) i = shortOptions(o, a, args, i, valued);
    else o.operands.push(a);
  }
  return o;
}

/** `--name=value`, `--name value` (for `longValued`) or `--flag`; returns the index of the last word used. */
function longOption(o: Options, a: string, args: readonly string[], i: number, longValued: readonly string[]): number {
  const eq = a.indexOf("=");
  const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
  if (eq >= 0) o.values.set(name, a.slice(eq + 1));
  else if (longValued.includes(name)) {
    o.values.set(name, args[i + 1] ?? "");
    return i + 1;
  } else o.flags.add(name);
  return i;
}

/** `-abc`, where a valued letter takes the rest of the word or the next one; returns the last index used. */
function shortOptions(o: Options, a: string, args: readonly string[], i: number, valued: string): number {
  for (let j = 1; j < a.length; j++) {
    const ch = a[j] as string;
    if (valued.includes(ch)) {
      if (j + 1 < a.length) o.values.set(ch, a.slice(j + 1));
      else {
        o.values.set(ch, args[i + 1] ?? "");
        return i + 1;
      }
      return i;
    }
    o.flags.add(ch);
  }
  return i;
}
