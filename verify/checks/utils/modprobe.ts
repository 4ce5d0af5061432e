/** modprobe.d lines as libkmod reads them, and module lookup by the kernel's name. */
import type { ArtifactFact, ModuleFact } from "../../model.js";

/** modprobe treats `-` and `_` in module and parameter names alike. */
export const norm = (s: string): string => s.replaceAll("-", "_");

export interface ModprobeLine {
  readonly line: number;
  readonly command: "options" | "blacklist";
  readonly module: string;
  /** Parameter names (options only). */
  readonly params: readonly string[];
}

/** `options MODULE PARAM[=VALUE] ...` and `blacklist MODULE` lines, 1-based; quotes may hold spaces. */
export function modprobeLines(text: string): ModprobeLine[] {
  const out: ModprobeLine[] = [];
  text.split("\n").forEach((raw, i) => {
    const words = raw.replace(/#.*/, "").match(/(?:[^\s"]+|"[^"]*")+/g) ?? [];
    const [command, module] = words;
    if ((command === "options" || command === "blacklist") && module !== undefined) {
      const params = command === "options" ? words.slice(2).map((w) => w.split("=", 1)[0] as string) : [];
      out.push({ line: i + 1, command, module, params });
    }
  });
  return out;
}

/** The artifact's module copies by normalised name. */
export function modulesByName(artifact: ArtifactFact): Map<string, ModuleFact[]> {
  const byName = new Map<string, ModuleFact[]>();
  for (const m of artifact.modules) byName.set(norm(m.name), [...(byName.get(norm(m.name)) ?? []), m]);
  return byName;
}
