import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { newCommand } from "../../src/cli/new.js";
import { BuildRefused, buildExtension } from "../../src/extension/build.js";
import { loadDefinition } from "../../src/extension/definition.js";
import { listTemplates, scaffold, templatesRoot } from "../../src/extension/scaffold.js";
import { runCommand } from "../cli/run.js";

const FIX = join(import.meta.dirname, "../fixtures/out");
const RELEASE = readFileSync(join(FIX, "extension/release"), "utf8").trim();
const INSTALLER_BASE = join(FIX, "installer/clean/installer-base.tar");
const OURS = join(import.meta.dirname, "../../extensions/nvidia-p2p");

const work = mkdtempSync(join(tmpdir(), "ext-new-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let serial = 0;
const fresh = (name: string) => join(work, `${serial++}`, name);

function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out.push(relative(dir, join(d, e.name)));
    }
  };
  walk(dir);
  return out.sort();
}

describe("talos-ext new", () => {
  it("lists the four templates with a description each", async () => {
    const r = await runCommand(newCommand, "--list");
    expect(r.code).toBe(0);
    expect(
      r.out
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split(/\s+/)[0]),
    ).toEqual(["firmware", "kmod", "nvidia-p2p", "service"]);
    expect((await listTemplates()).every((t) => t.description.length > 10)).toBe(true);
  });

  for (const template of ["nvidia-p2p", "kmod", "firmware", "service"]) {
    it(`${template}: writes a directory that builds as it stands, placeholders filled, bldr's own left alone`, async () => {
      const dir = fresh("my-ext");
      mkdirSync(join(dir, ".."), { recursive: true });
      const r = await runCommand(newCommand, template, dir, "--talos-version", "v1.13.0", "--kernel-release", RELEASE);
      expect(r.code).toBe(0);
      const written = files(dir);
      expect(written).toEqual(
        expect.arrayContaining([
          "README.md",
          "extension.yaml",
          "pkg.yaml",
          "vars.yaml",
          ".github/workflows/verify.yml",
        ]),
      );
      expect(written).not.toContain("template.yaml");
      if (template === "nvidia-p2p") {
        // Shared with extensions/nvidia-p2p through template.yaml's include.
        expect(written).toEqual(
          expect.arrayContaining(["probe/p2p-probe.c", "probe/Makefile", "modules/remap-patch.awk"]),
        );
      }
      expect(statSync(dir).mode & 0o777).toBe(0o755);
      for (const f of written) {
        expect(lstatSync(join(dir, f)).isSymbolicLink(), f).toBe(false);
        const text = readFileSync(join(dir, f), "utf8");
        expect(text, f).not.toMatch(/\{\{(NAME|TALOS_VERSION|KERNEL_RELEASE)\}\}/);
        if (/\.ya?ml$/.test(f)) expect(() => parse(text), f).not.toThrow();
      }
      const def = await loadDefinition(dir);
      expect(def.manifest.name).toBe("my-ext");
      expect(def.manifest.compatibility.talos.version).toBe(">= v1.13.0");
      if (def.kernel) expect(def.kernel.release).toBe(RELEASE);
      if (template === "service") {
        // Until the package build leaves the program in build/bin, the service has no entrypoint to run.
        await expect(buildExtension(def, { dir, outDir: join(dir, "_out") })).rejects.toThrow(
          /TE5005 service my-ext .*entrypoint \.\/my-ext is not in \/usr\/local\/lib\/containers\/my-ext/,
        );
        mkdirSync(join(dir, "build", "bin"), { recursive: true });
        // A static program, as the template's Go build leaves: its container ships nothing else to run it.
        const program = join(dir, "build", "bin", "my-ext");
        execFileSync("gcc", ["-static", "-Os", "-x", "c", "-", "-o", program], {
          input: "int main(void) { return 0; }\n",
        });
      }
      const built = await buildExtension(def, { dir, outDir: join(dir, "_out") });
      expect(
        JSON.parse(execFileSync("skopeo", ["inspect", `oci-archive:${built.image}`], { encoding: "utf8" })).Digest,
      ).toBe(built.manifestDigest);
      execFileSync("unsquashfs", ["-lls", built.squashfs], { stdio: "ignore" });
    });
  }

  it("refuses an existing directory unless --force, and an unknown template", async () => {
    const dir = fresh("kmod");
    await scaffold("kmod", dir, { NAME: "kmod", TALOS_VERSION: "v1.13.0", KERNEL_RELEASE: RELEASE });
    writeFileSync(join(dir, "mine"), "x");
    await expect(
      scaffold("kmod", dir, { NAME: "kmod", TALOS_VERSION: "v1.13.0", KERNEL_RELEASE: RELEASE }),
    ).rejects.toThrow(/exists \(use --force to replace it\)/);
    expect(readFileSync(join(dir, "mine"), "utf8")).toBe("x");
    await scaffold("kmod", dir, { NAME: "kmod", TALOS_VERSION: "v1.13.0", KERNEL_RELEASE: RELEASE }, { force: true });
    expect(files(dir)).not.toContain("mine");
    await expect(scaffold("nope", fresh("x"), { NAME: "x", TALOS_VERSION: "v1", KERNEL_RELEASE: "r" })).rejects.toThrow(
      /unknown template "nope": one of firmware, kmod, nvidia-p2p, service/,
    );
    expect(readdirSync(join(dir, "..")).filter((n) => n.includes(".new-"))).toEqual([]);
    expect(templatesRoot().endsWith("templates")).toBe(true);
  });
});

/** Our extension as its package build leaves it, with the stand-in module for the fixtures' kernel. */
function ourExtension(module: "a" | "b"): string {
  const dir = fresh("nvidia-p2p");
  mkdirSync(join(dir, "build", "bin"), { recursive: true });
  copyFileSync(join(OURS, "extension.yaml"), join(dir, "extension.yaml"));
  const def = parse(readFileSync(join(dir, "extension.yaml"), "utf8"));
  def.kernel.release = RELEASE;
  writeFileSync(join(dir, "extension.yaml"), stringify(def));
  copyFileSync(join(FIX, "extension", `nvidia.${module}.ko`), join(dir, "build", "nvidia.ko"));
  const probe = join(dir, "probe-build");
  execFileSync("make", ["-s", "-C", join(OURS, "probe"), `BUILD=${probe}`], { stdio: "ignore" });
  copyFileSync(join(probe, "p2p-probe"), join(dir, "build", "bin", "p2p-probe"));
  rmSync(probe, { recursive: true });
  return dir;
}

describe("extensions/nvidia-p2p, built from the stand-in module", () => {
  it("builds clean against the kernel it was signed for, with the registry override and the probe", async () => {
    const dir = ourExtension("a");
    const r = await buildExtension(await loadDefinition(dir), {
      dir,
      outDir: join(dir, "_out"),
      checkChain: INSTALLER_BASE,
    });
    expect(r.findings).toEqual([]);
    expect(r.unmatched).toEqual([]);
    const listing = execFileSync("unsquashfs", ["-lls", r.squashfs], { encoding: "utf8" });
    expect(listing).toContain(`/usr/lib/modules/${RELEASE}/extras/nvidia.ko`);
    expect(listing).toMatch(/-rwxr-xr-x root\/root .* squashfs-root\/usr\/local\/bin\/p2p-probe/);
    const conf = execFileSync("unsquashfs", ["-cat", r.squashfs, "/usr/local/lib/modprobe.d/nvidia.conf"], {
      encoding: "utf8",
    });
    expect(conf).toContain('options nvidia NVreg_RegistryDwords="ForceP2P=17;');
  });

  it("is refused when its module is signed by another build's key", async () => {
    const dir = ourExtension("b");
    const err = await buildExtension(await loadDefinition(dir), {
      dir,
      outDir: join(dir, "_out"),
      checkChain: INSTALLER_BASE,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BuildRefused);
    expect((err as BuildRefused).result.findings.map((f) => f.code)).toEqual(["TE1002", "TE1006"]);
  });
});
