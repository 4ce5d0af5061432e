import { spawnSync } from "node:child_process";

/** Runs a real tool and returns its stdout; a missing tool or a failing run fails the test. */
export function run(tool: string, args: string[]): string {
  const r = spawnSync(tool, args, {
    encoding: "utf8",
    maxBuffer: 256 << 20,
    env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin`, LC_ALL: "C" },
  });
  if (r.error) throw new Error(`${tool} could not run: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${tool} ${args.slice(0, 3).join(" ")} ... exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** One module's block of `modinfo -0 FILE...` output: its file name and the NUL-separated items after it. */
export function splitModinfo(out: string): Map<string, string[]> {
  const blocks = new Map<string, string[]>();
  let items: string[] = [];
  for (const item of out.split("\0")) {
    const m = /^filename: {7}(.*)$/s.exec(item);
    if (m?.[1] !== undefined) {
      items = [];
      blocks.set(m[1], items);
    } else if (item !== "") {
      items.push(item);
    }
  }
  return blocks;
}

export interface ReadelfDynamic {
  soname?: string;
  needed: string[];
  rpath?: string;
  runpath?: string;
  hasDynamic: boolean;
}

/** Parses `readelf -dW FILE...` (several files: each block starts with `File: NAME`). */
export function splitReadelfDynamic(out: string, files: string[]): Map<string, ReadelfDynamic> {
  const res = new Map<string, ReadelfDynamic>();
  const chunks = files.length === 1 ? [`File: ${files[0]}\n${out}`] : out.split(/^(?=File: )/m).filter((c) => c.trim());
  for (const chunk of chunks) {
    const name = /^File: (.*)$/m.exec(chunk)?.[1];
    if (name === undefined) continue;
    const d: ReadelfDynamic = { needed: [], hasDynamic: !chunk.includes("There is no dynamic section") };
    for (const m of chunk.matchAll(/\((NEEDED|SONAME|RPATH|RUNPATH)\)\s+[^[]*\[(.*)\]$/gm)) {
      const [, tag, value] = m;
      if (value === undefined) continue;
      if (tag === "NEEDED") d.needed.push(value);
      else if (tag === "SONAME") d.soname = value;
      else if (tag === "RPATH") d.rpath = value;
      else d.runpath = value;
    }
    res.set(name, d);
  }
  return res;
}
