// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are shell scripts, whose ${…} is shell syntax
/**
 * The static reading of pkg.yaml shell snippets against bash itself: for commands without expansions, the
 * words after quote removal, brace expansion and line continuations must be the ones bash passes to the
 * command. Words holding `$…` stay as written by design (nothing is executed), so they are left out here.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parseShell } from "../../src/repo/shell.js";

const exec = promisify(execFile);

/** The argument vector bash builds for each simple command of `script` (each command replaced by `words`). */
async function bashWords(script: string): Promise<string[][]> {
  // Every simple command runs as a function that prints its arguments, NUL-separated, one command a line.
  const prelude = [
    "shopt -s expand_aliases",
    "w() { printf '%s\\0' \"$@\"; printf '\\n'; }",
    ...["mkdir", "cp", "install", "ln", "xargs", "ldconfig", "rm", "mv", "tar", "make", "cd", "echo", "patch"].map(
      (c) => `alias ${c}='w ${c}'`,
    ),
  ].join("\n");
  const { stdout } = await exec("bash", ["-c", `${prelude}\n${script}`]);
  return stdout
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => l.split("\0").slice(0, -1));
}

const scripts: [string, string][] = [
  ["brace expansion, nested", "mkdir -p /rootfs/{etc,usr/{bin,lib}}"],
  ["line continuations", "mkdir -p /rootfs/usr/lib/modules \\\n  /rootfs/usr/local/lib/modprobe.d"],
  ["quotes and escapes", `cp "a b" 'c d' e\\ f "g\\"h" 'i\\j' /rootfs/x`],
  ["separators", "cd build; make install && cp a /rootfs/b\necho one;echo two"],
  ["comments", "# a comment with 'quotes\ncp a /rootfs/b # trailing\necho '#not a comment'"],
  ["a brace word without a comma", "echo {x} {a,b}{c,d} a{,b}"],
  ["an empty pair of quotes", `echo "" '' x""y`],
];

describe("parseShell against bash", () => {
  it.each(scripts)("%s", async (_, script) => {
    const expected = await bashWords(script);
    expect(parseShell(script).map((c) => c.words)).toEqual(expected);
  });

  // Not compared with bash: running these would expand, redirect or branch.
  it("keeps expansions as written, reads redirections and pipelines, and skips heredoc bodies", () => {
    const cmds = parseShell(
      'export R=$(uname -r)\ncat <<EOF > /rootfs/etc/x\ncp not a command\nEOF\nln -s "${A}/b" /rootfs/usr/lib/${A}\n' +
        "patch -p1 < /pkg/files/p.patch 2>&1 | tee log || echo failed\n",
    );
    expect(cmds.map((c) => [c.line, c.words, c.redirects])).toEqual([
      [0, ["export", "R=$(uname -r)"], []],
      [1, ["cat"], [{ op: ">", target: "/rootfs/etc/x" }]],
      [4, ["ln", "-s", "${A}/b", "/rootfs/usr/lib/${A}"], []],
      [5, ["patch", "-p1"], [{ op: "<", target: "/pkg/files/p.patch" }]],
      [5, ["tee", "log"], []],
      [5, ["echo", "failed"], []],
    ]);
  });
});
