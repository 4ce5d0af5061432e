/**
 * The probe's JSON document (extensions/nvidia-p2p/probe, schema talos-ext/p2p-probe/v1): one node per
 * document; a file holds one document or an array of them (several nodes' output gathered into one file).
 */
import { z } from "zod";
import { FormatError } from "../io/errors.js";
import type { Gpu, Matrix, MatrixKind, P2PNode, PairFacts } from "./model.js";

export const PROBE_SCHEMA = "talos-ext/p2p-probe/v1";

const figure = z.number().nonnegative().nullable();
const mode = z
  .object({
    unidirectionalGBps: figure,
    bidirectionalGBps: figure,
    latencyUs: figure,
    dataIntact: z.boolean().nullable(),
    firstMismatchOffset: z.number().int().nonnegative().optional(),
    gateTimeouts: z.number().int().nonnegative(),
  })
  .nullable();

const probeSchema = z.object({
  schema: z.literal(PROBE_SCHEMA),
  host: z.string(),
  time: z.string(),
  driver: z.object({
    cudaVersion: z.string().nullable(),
    kernelModule: z.string().nullable(),
    registryDwords: z.string().nullable(),
  }),
  devices: z.array(
    z.object({
      index: z.number().int().nonnegative(),
      name: z.string(),
      pciBusId: z.string(),
      totalMemBytes: z.number().int().nonnegative(),
      bar1Bytes: z.number().int().positive().nullable(),
      bar1Unavailable: z.string().optional(),
    }),
  ),
  pairs: z.array(
    z.object({
      src: z.number().int().nonnegative(),
      dst: z.number().int().nonnegative(),
      canAccessPeer: z.boolean().nullable(),
      enablePeerAccess: z.object({ srcToDst: z.string(), dstToSrc: z.string() }),
      p2pOff: mode,
      p2pOn: mode,
      p2pOnSkipped: z.string().nullable(),
      errors: z.array(z.string()),
    }),
  ),
  error: z.string().nullable(),
});

export type ProbeDocument = z.infer<typeof probeSchema>;

/** Whether the text is JSON rather than the sample's text output. */
export const looksLikeJson = (text: string): boolean => /^\s*[[{]/.test(text);

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    // V8 says where: "... in JSON at position N" or "(line L column C)".
    const message = (err as Error).message;
    const position = /position (\d+)/.exec(message);
    const offset = position ? Buffer.byteLength(text.slice(0, Number(position[1]))) : 0;
    throw new FormatError(file, offset, "probe JSON", "valid JSON", message);
  }
}

function toNode(doc: ProbeDocument, file: string, where: string): P2PNode {
  const n = doc.devices.length;
  const bad = (structure: string, expected: string, found?: string): never => {
    throw new FormatError(file, 0, `probe document${where} ${structure}`, expected, found);
  };
  doc.devices.forEach((d, i) => {
    if (d.index !== i) bad(`devices[${i}].index`, `${i}`, String(d.index));
  });
  const empty = (): (number | null)[][] => Array.from({ length: n }, () => Array<number | null>(n).fill(null));
  const kinds: MatrixKind[] = ["connectivity", "uniOff", "uniOn", "biOff", "biOn", "latOff", "latOn"];
  const m = Object.fromEntries(kinds.map((k) => [k, empty()])) as Record<(typeof kinds)[number], (number | null)[][]>;
  const seen = new Set<string>();
  const pairs: PairFacts[] = doc.pairs.map((p, k) => {
    if (p.src >= n || p.dst >= n || p.src === p.dst)
      bad(`pairs[${k}]`, `two different GPUs below ${n}`, `${p.src} -> ${p.dst}`);
    if (seen.has(`${p.src}>${p.dst}`)) bad(`pairs[${k}]`, "each ordered pair once", `${p.src} -> ${p.dst} again`);
    seen.add(`${p.src}>${p.dst}`);
    const set = (kind: (typeof kinds)[number], v: number | null | undefined) => {
      (m[kind][p.src] as (number | null)[])[p.dst] = v ?? null;
    };
    set("connectivity", p.canAccessPeer === null ? null : Number(p.canAccessPeer));
    set("uniOff", p.p2pOff?.unidirectionalGBps);
    set("uniOn", p.p2pOn?.unidirectionalGBps);
    set("biOff", p.p2pOff?.bidirectionalGBps);
    set("biOn", p.p2pOn?.bidirectionalGBps);
    set("latOff", p.p2pOff?.latencyUs);
    set("latOn", p.p2pOn?.latencyUs);
    const intactOff = p.p2pOff?.dataIntact ?? undefined;
    const intactOn = p.p2pOn?.dataIntact ?? undefined;
    return {
      src: p.src,
      dst: p.dst,
      enableSrcToDst: p.enablePeerAccess.srcToDst,
      enableDstToSrc: p.enablePeerAccess.dstToSrc,
      ...(intactOff === undefined ? {} : { intactOff }),
      ...(intactOn === undefined ? {} : { intactOn }),
      errors: p.errors,
    };
  });
  const gpus: Gpu[] = doc.devices.map((d) => ({
    index: d.index,
    name: d.name,
    pciBusId: d.pciBusId,
    totalMemBytes: d.totalMemBytes,
    bar1Bytes: d.bar1Bytes,
    ...(d.bar1Unavailable === undefined ? {} : { bar1Unavailable: d.bar1Unavailable }),
  }));
  const matrices: Partial<Record<MatrixKind, Matrix>> = n === 0 ? {} : m;
  return {
    artifact: file,
    name: doc.host,
    source: "probe",
    gpus,
    matrices,
    pairs,
    driver: doc.driver,
    ...(doc.error === null ? {} : { error: doc.error }),
  };
}

/** Every node in a probe file: one document, or an array of documents. */
export function parseProbeFile(text: string, file: string): P2PNode[] {
  const value = parseJson(text, file);
  const docs = Array.isArray(value) ? value : [value];
  return docs.map((doc, k) => {
    const where = Array.isArray(value) ? ` [${k}]` : "";
    const parsed = probeSchema.safeParse(doc);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = issue?.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("") ?? "";
      throw new FormatError(
        file,
        0,
        `probe document${where} $${path}`,
        path === ".schema" ? `"${PROBE_SCHEMA}"` : "a value of the probe's schema",
        issue?.message,
      );
    }
    return toNode(parsed.data, file, where);
  });
}
