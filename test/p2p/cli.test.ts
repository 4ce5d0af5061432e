import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { p2p } from "../../src/cli/p2p.js";
import { P2P_CHECKS } from "../../src/p2p/checks/index.js";
import { runCommand } from "../cli/run.js";
import { fixture, fixtureText, H200, STOCK, UNLOCKED } from "./fixtures.js";

const work = mkdtempSync(join(tmpdir(), "p2p-cli-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const run = (...argv: string[]) => runCommand(p2p, "report", ...argv);

describe("talos-ext p2p report", () => {
  it("prints every matrix of every node and exits 0 when nothing is wrong", async () => {
    const { code, out } = await run(fixture(UNLOCKED), fixture(H200));
    expect(code).toBe(0);
    expect(out).toContain(`p2pBandwidthLatencyTest (p2pBandwidthLatencyTest, ${fixture(UNLOCKED)}): 8 GPUs`);
    expect(out).toContain(`vm (probe, ${fixture(H200)}): 2 GPUs`);
    expect(out).toContain("GPU 0: NVIDIA H200 (0000:00:06.0), 139.8 GiB, BAR1 256 GiB");
    // The H200 pair's P2P-on unidirectional row as the table prints it.
    expect(out).toMatch(/Unidirectional bandwidth, P2P on \(writes\) \(GB\/s\)\n.*\n {2}0 +- +383\.95\n/);
    expect(out.trimEnd().endsWith("No findings.")).toBe(true);
  });

  it("exits 1 on the stock driver's output, 0 with --fail-on none", async () => {
    const { code, out } = await run(fixture(STOCK));
    expect(code).toBe(1);
    expect(out).toMatch(/error TE7001 {2}No peer access between GPUs/);
    expect((await run(fixture(STOCK), "--fail-on", "none")).code).toBe(0);
  });

  it("JSON, SARIF and GitHub output through the verify renderers", async () => {
    const json = JSON.parse((await run(fixture(STOCK), "--format", "json")).out);
    expect([json.schemaVersion, json.exitCode, json.findings.map((f: { code: string }) => f.code)]).toEqual([
      1,
      1,
      ["TE7001"],
    ]);
    const sarif = JSON.parse((await run(fixture(STOCK), "--format", "sarif")).out);
    const rules = sarif.runs[0].tool.driver.rules;
    expect(rules.map((r: { id: string }) => r.id)).toEqual(P2P_CHECKS.map((c) => c.code));
    expect(rules.every((r: { properties: { tags: string[] } }) => r.properties.tags[0] === "p2p")).toBe(true);
    expect(sarif.runs[0].results.map((r: { ruleId: string }) => r.ruleId)).toEqual(["TE7001"]);
    const github = (await run(fixture(STOCK), "--format", "github")).out;
    expect(github).toMatch(/^::error title=TE7001 No peer access between GPUs,file=.*rtx4090-8x-stock\.txt::/);
  });

  it("writes the heat map as SVG and PNG", async () => {
    const svg = join(work, "map.svg");
    const png = join(work, "map.png");
    expect((await run(fixture(UNLOCKED), "--svg", svg, "--png", png)).code).toBe(0);
    expect(readFileSync(svg, "utf8")).toMatch(/^<\?xml[^>]*>\n<svg /);
    expect(readFileSync(png).subarray(1, 4).toString("latin1")).toBe("PNG");
  });

  it("exits 2 when an input cannot be read, and still judges the others", async () => {
    const cut = join(work, "cut.json");
    writeFileSync(cut, fixtureText(H200).slice(0, 300));
    const { code, out } = await run(cut, fixture(STOCK), join(work, "missing.json"), "--format", "json");
    expect(code).toBe(2);
    const report = JSON.parse(out);
    expect(report.inputErrors.map((e: { artifact: string }) => e.artifact)).toEqual([cut, join(work, "missing.json")]);
    expect(report.inputErrors[0].message).toMatch(/cut\.json: offset 300 \(probe JSON\)/);
    expect(report.findings.map((f: { code: string }) => f.code)).toEqual(["TE7001"]);
  });

  it("asks for the report subcommand and a file", async () => {
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      expect(await p2p.run([fixture(STOCK)])).toBe(2);
      expect(await p2p.run(["report"])).toBe(2);
      expect(err).toHaveBeenCalledWith(expect.stringMatching(/^Usage: talos-ext p2p report FILE/));
    } finally {
      err.mockRestore();
    }
  });
});
