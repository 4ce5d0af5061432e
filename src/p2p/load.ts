/** One input file of `p2p report`: probe JSON (one node or an array of nodes) or p2pBandwidthLatencyTest text. */
import { readFile, stat } from "node:fs/promises";
import { FormatError, LimitError } from "../io/errors.js";
import type { P2PNode } from "./model.js";
import { looksLikeJson, parseProbeFile } from "./probe.js";
import { looksLikeSample, parseSampleOutput } from "./sample.js";

/** Both formats are a few kilobytes per node; anything far larger is not one of them. */
export const MAX_INPUT_BYTES = 16 * 1024 * 1024;

export function parseP2PText(text: string, file: string): P2PNode[] {
  if (looksLikeJson(text)) return parseProbeFile(text, file);
  if (looksLikeSample(text)) return [parseSampleOutput(text, file)];
  throw new FormatError(file, 0, "P2P measurement", "probe JSON or p2pBandwidthLatencyTest output");
}

export async function readP2PFile(file: string): Promise<P2PNode[]> {
  const { size } = await stat(file);
  if (size > MAX_INPUT_BYTES) throw new LimitError(file, 0, "P2P measurement file", MAX_INPUT_BYTES, size);
  const bytes = await readFile(file);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new FormatError(file, 0, "P2P measurement", "UTF-8 text");
  }
  return parseP2PText(text, file);
}
