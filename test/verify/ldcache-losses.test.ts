/**
 * Who loses what when glibc's cache wins over the toolkit's: caches written by the real ldconfig over
 * libraries built with gcc. NVIDIA's libraries (nvidia-ctk finds them only through the cache) and a library
 * outside ld.so's trusted directories are TE4002; one beside libc.so.6, which ld.so still finds after the
 * cache miss, is TE4004.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readDynamicInfo } from "../../src/formats/elf/dynamic.js";
import { readLdCache } from "../../src/formats/ldcache/read.js";
import { FileSource } from "../../src/io/source.js";
import type { LayerCache, LayerLibrary } from "../../src/talos/overlay.js";
import { ldcacheShadowing } from "../../verify/checks/ldcache-shadowing.js";
import { ldcacheTrusted } from "../../verify/checks/ldcache-trusted.js";
import { cacheLosses } from "../../verify/checks/utils/ldcache.js";
import type { ArtifactFact, VerifyModel } from "../../verify/model.js";
import { CACHE, LIB, makeRoots } from "../extension/ldcache-roots.js";

const OPT = "/usr/local/glibc/opt/lib";
let work: string;
let artifact: ArtifactFact;

function library(dir: string, soname: string): void {
  const c = join(work, `${soname}.c`);
  writeFileSync(c, "int present(void) { return 1; }\n");
  execFileSync("gcc", ["-shared", "-fPIC", `-Wl,-soname,${soname}`, "-o", join(dir, soname), c]);
}

async function collect(layer: string, root: string, caches: LayerCache[], libraries: LayerLibrary[]): Promise<void> {
  const src = await FileSource.open(join(root, CACHE));
  caches.push({ layer, path: CACHE, entries: (await readLdCache(src)).entries });
  await src.close();
  for (const dir of [LIB, OPT]) {
    for (const f of readdirSync(join(root, dir), { withFileTypes: true })) {
      if (!f.isFile()) continue;
      const lib = await FileSource.open(join(root, dir, f.name));
      const soname = (await readDynamicInfo(lib))?.soname;
      await lib.close();
      if (soname !== undefined) libraries.push({ layer, path: `${dir}/${f.name}`, soname });
    }
  }
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "ldcache-losses-"));
  const { glibc, toolkit } = makeRoots(work);
  // The toolkit also ships libfoo beside glibc's libc.so.6, and libbar in a directory only its ld.so.conf names.
  for (const root of [glibc, toolkit]) mkdirSync(join(root, OPT), { recursive: true });
  library(join(toolkit, LIB), "libfoo.so.1");
  library(join(toolkit, OPT), "libbar.so.1");
  writeFileSync(join(toolkit, "usr/local/glibc/etc/ld.so.conf"), `${LIB}\n${OPT}\n`);
  execFileSync("/sbin/ldconfig", ["-X", "-r", toolkit, "-f", "/usr/local/glibc/etc/ld.so.conf", "-C", CACHE]);
  const caches: LayerCache[] = [];
  const libraries: LayerLibrary[] = [];
  await collect("glibc", glibc, caches, libraries);
  await collect("nvidia-container-toolkit", toolkit, caches, libraries);
  const layers = ["rootfs", "nvidia-container-toolkit", "glibc"].map((name) => ({ name, entries: [] }));
  artifact = {
    role: "installer",
    file: "installer.tar",
    modules: [],
    extensions: [],
    layers,
    caches,
    libraries,
    modprobe: [],
    firmware: [],
    services: [],
    objects: [],
    faults: [],
    scripts: [],
    pathFiles: [],
  };
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

// The two checks read only the artifacts.
const model = (): VerifyModel => ({ artifacts: [artifact] }) as unknown as VerifyModel;

describe("what glibc's winning cache costs each consumer", () => {
  it("sorts the lost libraries by who still finds them", () => {
    const [l] = cacheLosses([artifact]);
    expect(l?.trustedDirs).toEqual([LIB]);
    expect(l?.nvidia.map((m) => m.soname).sort()).toEqual(["libcuda.so.1", "libnvidia-ml.so.1"]);
    expect(l?.untrusted.map((m) => m.soname)).toEqual(["libbar.so.1"]);
    expect(l?.trusted.map((m) => m.soname)).toEqual(["libfoo.so.1"]);
  });

  it("is an error for nvidia-ctk's and untrusted libraries, a warning for the trusted directory's", async () => {
    const [error] = await ldcacheShadowing.run(model());
    expect(error?.message).toMatch(/libcuda\.so\.1 .*which nvidia-ctk \(CDI generation\) then cannot find/);
    expect(error?.message).toMatch(
      /libbar\.so\.1 .*outside ld\.so's trusted directories \(\/usr\/local\/glibc\/usr\/lib\)/,
    );
    const warnings = await ldcacheTrusted.run(model());
    expect(warnings.map((f) => [f.severity, f.code])).toEqual([["warning", "TE4004"]]);
    expect(warnings[0]?.message).toMatch(/lacks libfoo\.so\.1 .*ld\.so still loads them/);
  });
});
