/**
 * The configuration a kernel built with CONFIG_IKCONFIG carries: kernel/configs.c wraps the gzip of .config in
 * the markers `IKCFG_ST` and `IKCFG_ED`, in the decompressed image.
 */
import { FormatError } from "../../io/errors.js";
import { decompressBuffer } from "../compress/decompress.js";

const START = "IKCFG_ST";
const END = "IKCFG_ED";
/** A .config is a few hundred KiB of text. */
const MAX_CONFIG = 16 << 20;

/** `CONFIG_X=value` lines as written (strings unquoted); `# CONFIG_X is not set` as `n`. */
export type KernelConfig = ReadonlyMap<string, string>;

export async function readEmbeddedConfig(kernel: Uint8Array, file: string): Promise<KernelConfig | undefined> {
  const buf = Buffer.from(kernel.buffer, kernel.byteOffset, kernel.length);
  const start = buf.indexOf(START);
  if (start < 0) return undefined;
  const end = buf.indexOf(END, start + START.length);
  if (end < 0) throw new FormatError(file, start, "embedded kernel config", `${END} after ${START}`, "none");
  const gzip = kernel.subarray(start + START.length, end);
  const text = await decompressBuffer("gzip", gzip, { name: `${file}!IKCFG`, maxOutput: MAX_CONFIG });
  return parseKernelConfig(new TextDecoder().decode(text));
}

export function parseKernelConfig(text: string): KernelConfig {
  const config = new Map<string, string>();
  for (const line of text.split("\n")) {
    const unset = /^# (CONFIG_\w+) is not set$/.exec(line);
    if (unset) config.set(unset[1] as string, "n");
    const set = /^(CONFIG_\w+)=(.*)$/.exec(line);
    if (set) config.set(set[1] as string, unquote(set[2] as string));
  }
  return config;
}

/** Kconfig writes strings quoted with `\"` and `\\` escaped. */
const unquote = (v: string): string =>
  v.startsWith('"') && v.endsWith('"') && v.length >= 2 ? v.slice(1, -1).replace(/\\(["\\])/g, "$1") : v;
