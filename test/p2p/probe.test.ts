import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { p2p } from "../../src/cli/p2p.js";
import { FormatError } from "../../src/io/errors.js";
import { PROBE_SCHEMA, parseProbeFile } from "../../src/p2p/probe.js";
import { runCommand } from "../cli/run.js";
import { fixture, fixtureText, H200 } from "./fixtures.js";

const probeDir = join(import.meta.dirname, "../../extensions/nvidia-p2p/probe");
const CUDA = "/usr/local/cuda";
const work = mkdtempSync(join(tmpdir(), "p2p-probe-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("the probe (C, CUDA driver API)", () => {
  const build = join(work, "build");

  it("compiles and links against libcuda with make", () => {
    const made = spawnSync("make", ["-C", probeDir, `BUILD=${build}`], { encoding: "utf8" });
    expect(made.stderr).not.toMatch(/warning|error/i);
    expect(made.status).toBe(0);
    const dynamic = execFileSync("readelf", ["-d", join(build, "p2p-probe")], { encoding: "utf8" });
    expect(dynamic).toMatch(/NEEDED.*\[libcuda\.so\.1\]/);
    // Driver API only: no CUDA runtime, no NVML.
    expect(dynamic).not.toMatch(/libcudart|libnvidia-ml/);
  });

  it("prints a JSON error document and exits 2 when the driver cannot start (the link stub loaded)", async () => {
    // The stub the Makefile linked against, loaded in place of a driver: cuInit says CUDA_ERROR_STUB_LIBRARY.
    const toolkitStub = join(CUDA, "lib64/stubs/libcuda.so");
    const stub = existsSync(toolkitStub) ? toolkitStub : join(build, "stub/libcuda.so");
    const libs = join(work, "libs");
    execFileSync("mkdir", ["-p", libs]);
    symlinkSync(stub, join(libs, "libcuda.so.1"));
    const run = spawnSync(join(build, "p2p-probe"), {
      encoding: "utf8",
      env: { ...process.env, LD_LIBRARY_PATH: libs },
    });
    expect(run.status).toBe(2);
    const doc = JSON.parse(run.stdout);
    expect(doc.schema).toBe(PROBE_SCHEMA);
    expect(doc.error).toMatch(/^cuInit: /);
    expect(doc.devices).toEqual([]);

    const out = join(work, "stub.json");
    writeFileSync(out, run.stdout);
    const report = await runCommand(p2p, "report", out, "--format", "json");
    expect(report.code).toBe(1);
    expect(JSON.parse(report.out).findings.map((f: { code: string }) => f.code)).toEqual(["TE7000"]);
  });
});

describe("the probe's run on 2x H200 (committed JSON)", () => {
  const raw = JSON.parse(fixtureText(H200));
  const [node] = parseProbeFile(fixtureText(H200), fixture(H200));

  it("is one node with the document's devices and every pair's figures in the matrices", () => {
    expect(node?.name).toBe(raw.host);
    expect(node?.gpus.map((g) => g.name)).toEqual(raw.devices.map((d: { name: string }) => d.name));
    for (const p of raw.pairs) {
      const m = node?.matrices;
      expect(m?.connectivity?.[p.src]?.[p.dst]).toBe(Number(p.canAccessPeer));
      expect(m?.uniOff?.[p.src]?.[p.dst]).toBe(p.p2pOff.unidirectionalGBps);
      expect(m?.uniOn?.[p.src]?.[p.dst]).toBe(p.p2pOn.unidirectionalGBps);
      expect(m?.biOff?.[p.src]?.[p.dst]).toBe(p.p2pOff.bidirectionalGBps);
      expect(m?.biOn?.[p.src]?.[p.dst]).toBe(p.p2pOn.bidirectionalGBps);
      expect(m?.latOff?.[p.src]?.[p.dst]).toBe(p.p2pOff.latencyUs);
      expect(m?.latOn?.[p.src]?.[p.dst]).toBe(p.p2pOn.latencyUs);
    }
    expect(node?.matrices.uniOn?.[0]?.[0]).toBeNull();
  });

  it("agrees with nvidia-smi on the same machine: names, bus ids, BAR1, NVLink", () => {
    const smi = fixtureText("h200-x2.nvidia-smi.txt");
    const csv = smi
      .split("\n")
      .filter((l) => /^\d+, /.test(l))
      .map((l) => l.split(", "));
    expect(csv).toHaveLength(node?.gpus.length ?? -1);
    csv.forEach(([index, name, bus], i) => {
      const gpu = node?.gpus[Number(index)];
      expect(gpu?.name).toBe(name);
      // nvidia-smi writes an 8-digit PCI domain, the driver API a 4-digit one.
      expect(`0000${gpu?.pciBusId}`.toLowerCase()).toBe(bus?.toLowerCase());
      expect(i).toBe(Number(index));
    });
    const bar1Mib = [...smi.matchAll(/BAR1 Memory Usage\s*\n\s*Total\s*:\s*(\d+) MiB/g)].map((m) => Number(m[1]));
    expect(bar1Mib).toEqual(node?.gpus.map((g) => (g.bar1Bytes as number) / 2 ** 20));
    expect(smi).toMatch(/GPU0\s+X\s+NV18/);
    expect(node?.matrices.connectivity?.[0]?.[1]).toBe(1);
  });

  describe("bad documents", () => {
    const text = fixtureText(H200);
    it("invalid JSON names the byte where it breaks", () => {
      const cut = text.slice(0, 200);
      let err: unknown;
      try {
        parseProbeFile(cut, "cut.json");
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FormatError);
      expect((err as FormatError).offset).toBe(200);
    });
    it("another schema", () => {
      expect(() => parseProbeFile(text.replace(PROBE_SCHEMA, "talos-ext/p2p-probe/v2"), "v2.json")).toThrow(
        /\$\.schema.*expected "talos-ext\/p2p-probe\/v1"/,
      );
    });
    it("a pair naming a GPU that is not there", () => {
      expect(() => parseProbeFile(text.replace('"src": 1, "dst": 0', '"src": 1, "dst": 2'), "x.json")).toThrow(
        /pairs\[1\].*two different GPUs below 2/,
      );
    });
    it("a figure of the wrong type", () => {
      expect(() => parseProbeFile(text.replace('"latencyUs": 2.197', '"latencyUs": "2.197"'), "x.json")).toThrow(
        /\$\.pairs\[0\]\.p2pOn\.latencyUs/,
      );
    });
    it("an array of documents is several nodes", () => {
      const nodes = parseProbeFile(`[${text}, ${text.replace('"host": "vm"', '"host": "vm2"')}]`, "two.json");
      expect(nodes.map((n) => n.name)).toEqual(["vm", "vm2"]);
    });
  });
});

it("the committed probe JSON names its machine in the sidecar metadata", () => {
  const meta = JSON.parse(readFileSync(fixture("h200-x2.meta.json"), "utf8"));
  expect(meta.machine).toMatch(/2x NVIDIA H200.*nvidia-h200-x2/);
  expect(JSON.parse(fixtureText(H200)).schema).toBe(PROBE_SCHEMA);
});
