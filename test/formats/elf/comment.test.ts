import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compilersOf, parseCompiler, readComments } from "../../../src/formats/elf/comment.js";
import { ElfFile } from "../../../src/formats/elf/file.js";
import { FileSource } from "../../../src/io/source.js";

const fixtures = join(import.meta.dirname, "../../fixtures");
const work = mkdtempSync(join(tmpdir(), "elf-comment-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** `.comment` as readelf -p prints it: one string per line. */
const readelf = (file: string): string[] =>
  [
    ...execFileSync("readelf", ["-p", ".comment", file], { encoding: "utf8" }).matchAll(
      /^\s+\[\s*[0-9a-f]+\]\s+(.*)$/gm,
    ),
  ].map((m) => m[1] as string);

async function comments(file: string): Promise<string[]> {
  const src = await FileSource.open(file);
  try {
    return await readComments(await ElfFile.open(src));
  } finally {
    await src.close();
  }
}

/** An object compiled by `cc` from a one-line C file. */
function compiled(cc: string): string {
  const c = join(work, `${cc}.c`);
  writeFileSync(c, "int f(void) { return 0; }\n");
  execFileSync(cc, ["-c", "-o", join(work, `${cc}.o`), c]);
  return join(work, `${cc}.o`);
}

describe(".comment and the compiler it names", () => {
  it("reads the strings readelf -p prints, once each, from Debian's module and objects of gcc and clang", async () => {
    const release = readFileSync(join(fixtures, "out/debian-kernel/release"), "utf8").trim();
    const module = join(fixtures, `out/debian-kernel/modules/${release}/kernel/fs/nls/nls_utf8.ko`);
    for (const file of [module, compiled("gcc"), compiled("clang")]) {
      expect(await comments(file)).toEqual([...new Set(readelf(file))]);
    }
  });

  it("names gcc with the version gcc --version reports, from .comment and from CONFIG_CC_VERSION_TEXT", async () => {
    const version = execFileSync("gcc", ["-dumpfullversion"], { encoding: "utf8" }).trim();
    expect(compilersOf(await comments(compiled("gcc")))).toEqual([expect.objectContaining({ family: "gcc", version })]);
    const config = readFileSync(join(fixtures, "out/debian-kernel/config"), "utf8");
    const text = /^CONFIG_CC_VERSION_TEXT="(.*)"$/m.exec(config)?.[1] ?? "";
    expect(parseCompiler(text)).toMatchObject({ family: "gcc", version });
  });

  it("names clang with the version clang reports", async () => {
    const version = /clang version (\d+\.\d+\.\d+)/.exec(
      execFileSync("clang", ["--version"], { encoding: "utf8" }),
    )?.[1];
    expect(compilersOf(await comments(compiled("clang")))).toEqual([
      expect.objectContaining({ family: "clang", version }),
    ]);
  });

  it("names no compiler in a linker's or an unknown tool's string", () => {
    expect(parseCompiler("Linker: LLD 19.1.7")).toBeUndefined();
    expect(parseCompiler("GNU assembler 2.40")).toBeUndefined();
  });
});
