/**
 * A script's `#!` line as the kernel reads it (fs/binfmt_script.c load_script): the first BINPRM_BUF_SIZE
 * bytes, NUL-padded, up to the first newline; without one, the first 255 bytes, and only when the interpreter
 * ends before them (a cut interpreter path is not run, cut arguments are). Blanks around are dropped; the
 * interpreter runs to the next space, tab or NUL, and what follows, from its first non-blank, is one argument.
 */

/** BINPRM_BUF_SIZE (include/uapi/linux/binfmts.h). */
const BUF_SIZE = 256;

export interface Shebang {
  readonly interpreter: string;
  readonly arg?: string;
}

const blank = (c: number) => c === 0x20 || c === 0x09;
const terminator = (c: number) => blank(c) || c === 0;

/** The interpreter `bytes` would run with, or undefined when the kernel would not run them as a script. */
export function readShebang(bytes: Uint8Array): Shebang | undefined {
  if (bytes[0] !== 0x23 || bytes[1] !== 0x21) return undefined;
  const buf = new Uint8Array(BUF_SIZE);
  buf.set(bytes.subarray(0, BUF_SIZE));
  const first = (from: number, to: number, is: (c: number) => boolean) => {
    for (let i = from; i < to; i++) if (is(buf[i] as number)) return i;
    return -1;
  };
  let end = buf.indexOf(0x0a);
  if (end < 0) {
    const name = first(2, BUF_SIZE - 1, (c) => !blank(c));
    if (name < 0 || first(name, BUF_SIZE - 1, terminator) < 0) return undefined;
    end = BUF_SIZE - 1;
  }
  while (end > 2 && blank(buf[end - 1] as number)) end--;
  const name = first(2, end, (c) => !blank(c));
  if (name < 0) return undefined;
  const sep = first(name, end, terminator);
  const text = (from: number, to: number) => {
    const nul = buf.subarray(from, to).indexOf(0);
    return Buffer.from(buf.subarray(from, nul < 0 ? to : from + nul)).toString("latin1");
  };
  const interpreter = text(name, sep < 0 ? end : sep);
  if (sep < 0 || buf[sep] === 0) return { interpreter };
  const arg = first(sep, end, (c) => !blank(c));
  return arg < 0 ? { interpreter } : { interpreter, arg: text(arg, end) };
}
