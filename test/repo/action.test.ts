/**
 * The composite action's own script (verify/action/action.yml), run by bash as a runner would run it, with
 * talos-ext built by tsc exactly as the action's build step builds it.
 */
import { execFile } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { dispose, materialize, variants } from "./variants.js";

const exec = promisify(execFile);
const ROOT = join(import.meta.dirname, "../..");
// Inside the repository, so that the built files resolve their packages from its node_modules; the build gets
// its own copy of package.json, where the program reads its version (as dist/ finds the repository's).
const CACHE = join(ROOT, "node_modules/.cache");

interface Step {
  id?: string;
  run?: string;
}

let build: string;
let script: string;

beforeAll(async () => {
  await mkdir(CACHE, { recursive: true });
  build = await mkdtemp(join(CACHE, "talos-ext-action-"));
  // tsc emits even when a module elsewhere fails to type-check (that is `npm run typecheck`'s to report).
  await exec("npx", ["tsc", "-p", "tsconfig.build.json", "--outDir", build], { cwd: ROOT }).catch(async (err) => {
    if (!(await stat(join(build, "src/cli/main.js")).catch(() => undefined))) throw err;
  });
  await copyFile(join(ROOT, "package.json"), join(build, "package.json"));
  const action = parse(await readFile(join(ROOT, "verify/action/action.yml"), "utf8"));
  script = (action.runs.steps as Step[]).find((s) => s.id === "run")?.run as string;
}, 120_000);

afterAll(() => rm(build, { recursive: true, force: true }));

async function runStep(env: Record<string, string>) {
  const work = await mkdtemp(join(CACHE, "talos-ext-action-run-"));
  const output = join(work, "github-output");
  const full = {
    ...process.env,
    TALOS_EXT: join(build, "src/cli/main.js"),
    COMMAND: "check",
    REPOSITORY: ".",
    CHANGED_SINCE: "",
    TALOS: "",
    INSTALLER: "",
    KERNEL: "",
    INSTALLER_BASE: "",
    MODULES: "",
    EXTENSION: "",
    FAIL_ON: "error",
    SARIF: "",
    GITHUB_OUTPUT: output,
    ...env,
  };
  try {
    const done = await exec("bash", ["-e", "-c", script], { env: full }).then(
      (r) => ({ code: 0, stdout: r.stdout }),
      (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
    );
    const outputs = await readFile(output, "utf8").catch(() => "");
    const sarif = env.SARIF ? JSON.parse(await readFile(env.SARIF, "utf8")) : undefined;
    return { ...done, outputs, sarif };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

describe("the GitHub Action's run step", () => {
  it("annotates the findings, writes SARIF and fails the step with check's exit code", async () => {
    const variant = (await variants()).find((v) => v.name === "talos-incompatible");
    const dir = await materialize(variant);
    const sarifDir = await mkdtemp(join(CACHE, "talos-ext-sarif-"));
    try {
      const sarifFile = join(sarifDir, "check.sarif");
      const r = await runStep({ REPOSITORY: dir, SARIF: sarifFile });
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(`::error title=TE5113 Compatibility constraint excludes the Talos release`);
      expect(r.stdout).toContain(`file=${join(dir, "misc/glibc/manifest.yaml.tmpl")},line=10,col=16::`);
      expect(r.outputs).toBe("exit-code=1\n");
      expect(r.sarif.runs[0].results.map((x: { ruleId: string }) => x.ruleId)).toEqual(["TE5113"]);
      const passing = await runStep({ REPOSITORY: dir, FAIL_ON: "none" });
      expect(passing.code).toBe(0);
      expect(passing.outputs).toBe("exit-code=0\n");
    } finally {
      await dispose(dir);
      await rm(sarifDir, { recursive: true, force: true });
    }
  });

  it("refuses an unknown command with exit code 2", async () => {
    const r = await runStep({ COMMAND: "deploy" });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("::error title=talos-ext::command must be check or verify, got 'deploy'\n");
  });
});
