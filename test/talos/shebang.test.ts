import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readShebang } from "../../src/talos/loader/shebang.js";

const work = mkdtempSync(join(tmpdir(), "shebang-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// An interpreter that prints the argv the kernel gave it, NUL-separated: argv[0] is the interpreter as the
// #! line names it, then its argument if any, then the script's path. `--exec FILE` runs FILE with execv(2)
// itself: libc's execvp, which node spawns with, would run a script the kernel refuses with /bin/sh instead.
const echo = join(work, "argv");
execFileSync("gcc", ["-x", "c", "-", "-o", echo], {
  input:
    "#include <stdio.h>\n#include <string.h>\n#include <unistd.h>\n" +
    "int main(int c, char **v) {\n" +
    '  if (c == 3 && strcmp(v[1], "--exec") == 0) { char *a[] = { v[2], 0 }; execv(v[2], a); return 99; }\n' +
    "  for (int i = 0; i < c; i++) fwrite(v[i], 1, strlen(v[i]) + 1, stdout);\n  return 0;\n}\n",
});

/** What the kernel runs for a script starting with `head`: the interpreter and argument, or undefined. */
function kernelReads(head: string): { interpreter: string; arg?: string } | undefined {
  const script = join(work, "script");
  rmSync(script, { force: true });
  writeFileSync(script, Buffer.from(head, "latin1"));
  chmodSync(script, 0o755);
  const r = spawnSync(echo, ["--exec", script], { encoding: "latin1" });
  if (r.status === 99) return undefined;
  const argv = r.stdout.split("\0").slice(0, -1);
  expect(argv.at(-1)).toBe(script);
  return argv.length === 3
    ? { interpreter: argv[0] as string, arg: argv[1] as string }
    : { interpreter: argv[0] as string };
}

describe("readShebang, against the kernel running the script", () => {
  const pad = (n: number) => "x".repeat(n);
  it.each([
    ["plain", `#!${echo}\nbody\n`],
    ["blanks around", `#! \t${echo} \t\nbody`],
    ["one argument", `#!${echo} -e\n`],
    ["an argument with blanks inside, kept as one", `#!${echo}  -a  b\tc \n`],
    ["no newline, a short file", `#!${echo} arg`],
    ["a line longer than the buffer: the argument is cut", `#!${echo} ${pad(400)}\n`],
    ["no newline in the buffer, the interpreter ended before it", `#!${echo} ${pad(400)}`],
    ["the interpreter cut by the buffer: not run", `#!/${pad(300)}\n`],
    ["no interpreter: not run", "#!   \n"],
    ["a carriage return kept in the argument", `#!${echo} -x\r\n`],
    ["a NUL ending the interpreter", `#!${echo}\0 ignored\n`],
  ])("%s", (_, head) => {
    expect(readShebang(new Uint8Array(Buffer.from(head, "latin1")))).toEqual(kernelReads(head));
  });

  it("is not a script without #! at the start", () => {
    expect(readShebang(new TextEncoder().encode(" #!/bin/sh\n"))).toBeUndefined();
    expect(readShebang(new Uint8Array([0x7f, 0x45, 0x4c, 0x46]))).toBeUndefined();
  });
});
