import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { type ModInfo, readModinfo } from "../../../src/formats/elf/modinfo.js";
import { vermagicMatchesRelease, vermagicRelease } from "../../../src/formats/elf/vermagic.js";
import { FileSource } from "../../../src/io/source.js";
import { run, splitModinfo } from "./tools.js";

const kernel = "test/fixtures/out/debian-kernel";
const release = readFileSync(join(kernel, "release"), "utf8").trim();
const elfOut = "test/fixtures/out/elf";
const signatureKeys = new Set(["sig_id", "signer", "sig_key", "sig_hashalgo", "signature"]);

function modules(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ko"))
    .sort()
    .map((f) => resolve(dir, f));
}

async function ours(path: string): Promise<ModInfo> {
  const src = await FileSource.open(path);
  try {
    return await readModinfo(src);
  } finally {
    await src.close();
  }
}

/** Our parameters printed as kmod's modinfo prints them (most recently first-mentioned first). */
function paramLines(info: ModInfo): string[] {
  return info.params
    .map((p) => {
      if (p.description === undefined) return `${"parm:".padEnd(16)}${p.name}:${p.type}`;
      if (p.type === undefined) return `${"parm:".padEnd(16)}${p.name}:${p.description}`;
      return `${"parm:".padEnd(16)}${p.name}:${p.description} (${p.type})`;
    })
    .reverse();
}

/** Checks every field of ours against one module's `modinfo -0` items. */
function compare(path: string, info: ModInfo, items: string[]): void {
  const tool = items
    .filter((i) => !i.startsWith("parm:"))
    .map((i) => {
      const eq = i.indexOf("=");
      return { key: i.slice(0, eq), value: i.slice(eq + 1) };
    })
    .filter((e) => !signatureKeys.has(e.key));
  expect(
    info.entries.filter((e) => e.key !== "parm" && e.key !== "parmtype"),
    path,
  ).toEqual(tool);
  expect(paramLines(info), path).toEqual(items.filter((i) => i.startsWith("parm:")));
  const first = (k: string) => tool.find((e) => e.key === k)?.value;
  const all = (k: string) => tool.filter((e) => e.key === k).map((e) => e.value);
  expect(
    {
      name: info.name,
      vermagic: info.vermagic,
      srcversion: info.srcversion,
      version: info.version,
      license: info.license,
      description: info.description,
      author: info.author,
      alias: info.alias,
      firmware: info.firmware,
      softdep: info.softdep,
      importNs: info.importNs,
      depends: info.depends,
      intree: info.intree,
      retpoline: info.retpoline,
    },
    path,
  ).toEqual({
    name: first("name"),
    vermagic: first("vermagic"),
    srcversion: first("srcversion"),
    version: first("version"),
    license: first("license"),
    description: first("description"),
    author: all("author"),
    alias: all("alias"),
    firmware: all("firmware"),
    softdep: all("softdep"),
    importNs: all("import_ns"),
    depends: first("depends") ? (first("depends") ?? "").split(",") : [],
    intree: first("intree") === "Y",
    retpoline: first("retpoline") === "Y",
  });
}

describe("readModinfo against kmod's modinfo", () => {
  it("matches modinfo on every Debian module", async () => {
    const files = modules(join(kernel, "modules", release));
    expect(files.length).toBeGreaterThan(4000);
    const blocks = splitModinfo(run("modinfo", ["-0", ...files]));
    expect(blocks.size).toBe(files.length);
    let params = 0;
    let aliases = 0;
    for (const f of files) {
      const info = await ours(f);
      compare(f, info, blocks.get(f) ?? []);
      params += info.params.length;
      aliases += info.alias.length;
      expect(vermagicMatchesRelease(info.vermagic ?? "", release), f).toBe(true);
    }
    // The sample must exercise parameters and aliases in bulk, not only field order.
    expect(params).toBeGreaterThan(1000);
    expect(aliases).toBeGreaterThan(10000);
  });

  it("matches modinfo on .modinfo sections in ELF32, ELF64, little- and big-endian objects", async () => {
    const files = modules(join(elfOut, "mod"));
    expect(files.map((f) => f.replace(/^.*\//, ""))).toEqual([
      "e1000e-i386.ko",
      "e1000e-powerpc.ko",
      "e1000e-s390x.ko",
      "e1000e-x86_64.ko",
      "odd-i386.ko",
      "odd-powerpc.ko",
      "odd-s390x.ko",
      "odd-x86_64.ko",
    ]);
    const blocks = splitModinfo(run("modinfo", ["-0", ...files]));
    for (const f of files) {
      const items = blocks.get(f);
      expect(items, f).toBeDefined();
      compare(f, await ours(f), items ?? []);
    }
    const odd = await ours(join(elfOut, "mod", "odd-powerpc.ko"));
    expect(odd.params).toEqual([{ name: "early", type: "int", description: "Set early, again" }]);
    expect(odd.entries.at(-1)).toEqual({ key: "description", value: "unterminated" });
  });
});

describe("vermagic", () => {
  it("takes the release from the first word and compares it exactly", () => {
    const v = "6.1.0-56-amd64 SMP preempt mod_unload modversions ";
    expect(vermagicRelease(v)).toBe("6.1.0-56-amd64");
    expect(vermagicMatchesRelease(v, "6.1.0-56-amd64")).toBe(true);
    expect(vermagicMatchesRelease(v, "6.1.0-56")).toBe(false);
    expect(vermagicMatchesRelease(v, "6.1.0-56-amd64-rt")).toBe(false);
  });
});
