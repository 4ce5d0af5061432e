/**
 * Where an ldconfig writes its cache by default: the ldconfig a package runs was built by itself or a stage
 * below it, and their configure says where it looks.
 */
import type { LdconfigCache } from "../installs.js";
import type { Package } from "../model.js";
import { parseShell } from "../shell.js";
import { baseOf } from "./paths.js";

/** `prefix → sysconfdir` from these packages' `configure --prefix=… [--sysconfdir=…]` calls; the first wins. */
function configurePrefixes(packages: readonly Package[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of packages) {
    for (const script of p.doc?.scripts ?? []) {
      for (const cmd of parseShell(script.text)) {
        if (baseOf(cmd.words[0] ?? "") !== "configure") continue;
        const opt = (name: string) => cmd.words.find((w) => w.startsWith(`--${name}=`))?.slice(name.length + 3);
        const prefix = opt("prefix");
        if (prefix === undefined) continue;
        // Autoconf's default is ${prefix}/etc; glibc's configure makes it /etc for the /usr prefix.
        if (!out.has(prefix.replace(/\/$/, "")))
          out.set(prefix.replace(/\/$/, ""), opt("sysconfdir") ?? (prefix === "/usr" ? "/etc" : `${prefix}/etc`));
      }
    }
  }
  return out;
}

/** The default cache of each ldconfig binary, as built by `stages` (a package and the stages below it). */
export function ldconfigCache(stages: readonly Package[]): LdconfigCache {
  const prefixes = configurePrefixes(stages);
  return (binary: string): string => {
    const m = /^(.*)\/s?bin\/ldconfig$/.exec(binary);
    if (m === null) return "/etc/ld.so.cache";
    const prefix = m[1] as string;
    const sysconf = prefixes.get(prefix) ?? (prefix === "" || prefix === "/usr" ? "/etc" : `${prefix}/etc`);
    return `${sysconf}/ld.so.cache`;
  };
}
