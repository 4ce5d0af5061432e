import { execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SquashFs } from "../../src/formats/squashfs/reader.js";
import { squashfsLayer } from "../../src/image/squashfs-layer.js";
import { BufferSource } from "../../src/io/source.js";
import { runChecks } from "../../src/report/check.js";
import { libraryResolution } from "../../verify/checks/library-resolution.js";
import type { ArtifactFact, VerifyModel } from "../../verify/model.js";
import { VerifyPool } from "../../verify/pool.js";
import { type LayerScan, scanLayer } from "../../verify/scan.js";

/**
 * Layers built with the real gcc and ldconfig, judged by TE4003 and by the real glibc loader (`ld.so --list`,
 * chrooted into the layers merged in the same order): both must name the same missing libraries.
 *   glibc  the host's loader and libc, and an /etc/ld.so.cache made over that layer alone
 *   app    libfoo in /opt/app/lib, reached by RPATH or RUNPATH $ORIGIN/../lib; libouter there needing libinner
 *          there too (RUNPATH is not used for indirect deps, RPATH is); libbar in /opt/bar, listed only by the
 *          app's own /etc/ld.so.cache; a program needing libgone, which nothing ships
 */
const HOST_LOADER = "/lib64/ld-linux-x86-64.so.2";
const work = mkdtempSync(join(tmpdir(), "te4003-"));
const pool = new VerifyPool();
afterAll(async () => {
  rmSync(work, { recursive: true, force: true });
  await pool.close();
});

const sh = (cmd: string, args: string[], cwd = work) => execFileSync(cmd, args, { cwd, encoding: "utf8" });
const write = (path: string, text: string) => {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
};
const lib = (out: string, soname: string, src: string, ...more: string[]) => {
  write(join(work, "src", `${soname}.c`), src);
  mkdirSync(dirname(out), { recursive: true });
  sh("gcc", ["-shared", "-fPIC", `-Wl,-soname,${soname}`, "-o", out, join(work, "src", `${soname}.c`), ...more]);
};
const bin = (out: string, src: string, ...more: string[]) => {
  write(join(work, "src", "main.c"), src);
  mkdirSync(dirname(out), { recursive: true });
  sh("gcc", ["-o", out, join(work, "src", "main.c"), ...more]);
};

function buildLayers() {
  const glibc = join(work, "glibc");
  for (const f of [HOST_LOADER, "/lib/x86_64-linux-gnu/libc.so.6"]) {
    const to = join(glibc, f);
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(realpathSync(f), to);
  }
  write(join(glibc, "etc/ld.so.conf"), "/lib/x86_64-linux-gnu\n");
  sh("ldconfig", ["-X", "-r", glibc]);

  const app = join(work, "app");
  const alib = join(app, "opt/app/lib");
  lib(join(alib, "libfoo.so.1"), "libfoo.so.1", "int foo(void) { return 1; }\n");
  lib(join(alib, "libinner.so.1"), "libinner.so.1", "int inner(void) { return 1; }\n");
  lib(
    join(alib, "libouter.so.1"),
    "libouter.so.1",
    "int inner(void);\nint outer(void) { return inner(); }\n",
    `-L${alib}`,
    "-l:libinner.so.1",
  );
  lib(join(app, "opt/bar/libbar.so.1"), "libbar.so.1", "int bar(void) { return 1; }\n");
  lib(join(work, "gone/libgone.so.1"), "libgone.so.1", "int gone(void) { return 1; }\n");
  const call = (f: string) => `int ${f}(void);\nint main(void) { return ${f}(); }\n`;
  const rpath = "-Wl,-rpath,$ORIGIN/../lib";
  bin(join(app, "opt/app/bin/rpath"), call("foo"), `-L${alib}`, "-l:libfoo.so.1", rpath, "-Wl,--disable-new-dtags");
  bin(join(app, "opt/app/bin/runpath"), call("foo"), `-L${alib}`, "-l:libfoo.so.1", rpath, "-Wl,--enable-new-dtags");
  bin(
    join(app, "opt/app/bin/outer-rpath"),
    call("outer"),
    `-L${alib}`,
    "-l:libouter.so.1",
    rpath,
    "-Wl,--disable-new-dtags",
    `-Wl,-rpath-link,${alib}`,
  );
  bin(
    join(app, "opt/app/bin/outer-runpath"),
    call("outer"),
    `-L${alib}`,
    "-l:libouter.so.1",
    rpath,
    "-Wl,--enable-new-dtags",
    `-Wl,-rpath-link,${alib}`,
  );
  bin(join(app, "opt/app/bin/cached"), call("bar"), `-L${join(app, "opt/bar")}`, "-l:libbar.so.1");
  bin(join(app, "opt/app/bin/missing"), call("gone"), `-L${join(work, "gone")}`, "-l:libgone.so.1");
  // The app's cache is made over glibc's layer and its own, as `ldconfig -r` over the merged root.
  const merged = join(work, "for-cache");
  for (const l of [glibc, app]) sh("cp", ["-a", `${l}/.`, merged]);
  write(join(merged, "etc/ld.so.conf"), "/lib/x86_64-linux-gnu\n/opt/bar\n");
  sh("ldconfig", ["-X", "-r", merged]);
  mkdirSync(join(app, "etc"), { recursive: true });
  copyFileSync(join(merged, "etc/ld.so.cache"), join(app, "etc/ld.so.cache"));
  write(join(work, "rootfs/etc/os-release"), 'NAME="Talos"\n');
  for (const l of ["rootfs", "glibc", "app"]) {
    chmodSync(join(work, l), 0o755);
    sh("mksquashfs", [join(work, l), join(work, `${l}.sqsh`), "-noappend", "-quiet", "-all-root"]);
  }
}

const scans = new Map<string, LayerScan>();
async function scan(name: string): Promise<LayerScan> {
  const hit = scans.get(name);
  if (hit) return hit;
  const file = join(work, `${name}.sqsh`);
  const fs = await SquashFs.open(new BufferSource(file, readFileSync(file)));
  const s = await scanLayer(name, squashfsLayer(fs, name, name === "rootfs" ? "squashfs" : "extension", file), pool);
  scans.set(name, s);
  return s;
}

/** An installer's facts from the layers in `order`, bottom to top, as collect.ts assembles them. */
async function model(order: string[]): Promise<VerifyModel> {
  const layers = await Promise.all(order.map(scan));
  const artifact: ArtifactFact = {
    role: "installer",
    file: "installer.tar",
    modules: [],
    firmware: [],
    extensions: [],
    layers: layers.map(({ name, entries }) => ({ name, entries })),
    caches: layers.flatMap((l) => l.caches),
    libraries: layers.flatMap((l) => l.libraries),
    modprobe: [],
    services: [],
    objects: layers.flatMap((l) => l.objects),
    scripts: layers.flatMap((l) => l.scripts),
    faults: [],
    pathFiles: layers.flatMap((l) => l.pathFiles),
  };
  return { artifacts: [artifact] };
}

const PROGRAMS = ["rpath", "runpath", "outer-rpath", "outer-runpath", "cached", "missing"];

/** `ld.so --list` of each program, chrooted into the layers merged in `order`: its missing names. */
function realMissing(order: string[]): Record<string, string[]> {
  const root = join(work, `merged-${order.join("-")}`);
  for (const l of order) sh("cp", ["-a", `${join(work, l)}/.`, root]);
  const out: Record<string, string[]> = {};
  for (const p of PROGRAMS) {
    // A missing direct dependency is listed `=> not found`; a missing indirect one stops the loader with an error.
    const r = spawnSync("chroot", [root, HOST_LOADER, "--list", `/opt/app/bin/${p}`], { encoding: "utf8" });
    const found = /^\s*(\S+) => not found|error while loading shared libraries: ([^:]+):/gm;
    out[p] = [...new Set([...`${r.stdout}${r.stderr}`.matchAll(found)].map((m) => (m[1] ?? m[2]) as string))].sort();
  }
  return out;
}

async function ourMissing(order: string[]) {
  const { findings } = await runChecks([libraryResolution], await model(order));
  const out: Record<string, string[]> = Object.fromEntries(PROGRAMS.map((p) => [p, []]));
  for (const f of findings) {
    const p = f.path?.split("/").pop() as string;
    const name = /needs ([^\s,]+)/.exec(f.message)?.[1] as string;
    out[p]?.push(name);
  }
  for (const p of PROGRAMS) out[p]?.sort();
  return { out, findings };
}

describe("TE4003 against the real glibc loader", () => {
  beforeAll(buildLayers, 60_000);

  it("finds what ld.so finds, and not what it does not: RPATH, RUNPATH, indirect deps, the cache", async () => {
    const order = ["rootfs", "app", "glibc"];
    const real = realMissing(order);
    expect(real).toEqual({
      rpath: [],
      runpath: [],
      "outer-rpath": [],
      "outer-runpath": ["libinner.so.1"],
      cached: ["libbar.so.1"],
      missing: ["libgone.so.1"],
    });
    const { out, findings } = await ourMissing(order);
    expect(out).toEqual(real);
    const byName = (n: string) => findings.find((f) => f.message.includes(`needs ${n}`))?.message ?? "";
    expect(byName("libinner.so.1")).toMatch(
      /^app: \/opt\/app\/bin\/outer-runpath needs libinner\.so\.1 \(needed by app: \/opt\/app\/lib\/libouter\.so\.1\), which its glibc loader \/lib64\/ld-linux-x86-64\.so\.2 does not find: it looked in ld\.so\.cache \/etc\/ld\.so\.cache \(glibc's\), then its trusted directories \(\/lib\/x86_64-linux-gnu, \/usr\/lib\/x86_64-linux-gnu, \/lib, \/usr\/lib\)\. The tree has it: app ships \/opt\/app\/lib\/libinner\.so\.1, outside that search$/,
    );
    expect(byName("libbar.so.1")).toContain(
      "The tree has it: app ships /opt/bar/libbar.so.1, and app's /etc/ld.so.cache lists it, but glibc's wins",
    );
    expect(byName("libgone.so.1")).toMatch(/\. No layer ships it$/);
    expect(findings.every((f) => f.code === "TE4003" && f.severity === "error")).toBe(true);
  }, 60_000);

  it("with the app's cache on top, the cached library resolves for both", async () => {
    const order = ["rootfs", "glibc", "app"];
    const real = realMissing(order);
    expect(real.cached).toEqual([]);
    expect((await ourMissing(order)).out).toEqual(real);
  }, 60_000);

  it("names a loader the tree lacks", async () => {
    const { findings } = await runChecks([libraryResolution], await model(["rootfs", "app"]));
    expect(findings.find((f) => f.path === "/opt/app/bin/rpath")?.message).toBe(
      "app: /opt/app/bin/rpath names the loader /lib64/ld-linux-x86-64.so.2, which is not there",
    );
  });
});

/**
 * The same judged against the real musl loader: musl-gcc programs under /lib/ld-musl-x86_64.so.1, whose rpath
 * (RUNPATH too) serves indirect deps, whose path file replaces its built-in path.
 */
describe("TE4003 against the real musl loader", () => {
  const MUSL = "/lib/ld-musl-x86_64.so.1";
  const MPROGRAMS = ["m-default", "m-runpath-outer", "m-pathfile", "m-missing"];
  const mlib = (out: string, soname: string, src: string, ...more: string[]) => {
    write(join(work, "msrc", `${soname}.c`), src);
    mkdirSync(dirname(out), { recursive: true });
    sh("musl-gcc", [
      "-shared",
      "-fPIC",
      `-Wl,-soname,${soname}`,
      "-o",
      out,
      join(work, "msrc", `${soname}.c`),
      ...more,
    ]);
  };
  const mbin = (out: string, f: string, ...more: string[]) => {
    write(join(work, "msrc", "main.c"), `int ${f}(void);\nint main(void) { return ${f}(); }\n`);
    mkdirSync(dirname(out), { recursive: true });
    sh("musl-gcc", ["-o", out, join(work, "msrc", "main.c"), ...more]);
  };

  beforeAll(() => {
    const musl = join(work, "musl");
    mkdirSync(join(musl, "lib"), { recursive: true });
    copyFileSync(realpathSync(MUSL), join(musl, MUSL));
    const m = join(work, "mapp");
    const lib = join(m, "opt/m/lib");
    mlib(join(m, "usr/local/lib/libqux.so.1"), "libqux.so.1", "int qux(void) { return 0; }\n");
    mlib(join(lib, "libminner.so.1"), "libminner.so.1", "int minner(void) { return 0; }\n");
    mlib(
      join(lib, "libmouter.so.1"),
      "libmouter.so.1",
      "int minner(void);\nint mouter(void) { return minner(); }\n",
      `-L${lib}`,
      "-l:libminner.so.1",
    );
    mlib(join(m, "opt/pf/libpf.so.1"), "libpf.so.1", "int pf(void) { return 0; }\n");
    mlib(join(work, "mgone/libmgone.so.1"), "libmgone.so.1", "int mgone(void) { return 0; }\n");
    const bin = join(m, "opt/m/bin");
    mbin(join(bin, "m-default"), "qux", `-L${join(m, "usr/local/lib")}`, "-l:libqux.so.1");
    mbin(
      join(bin, "m-runpath-outer"),
      "mouter",
      `-L${lib}`,
      "-l:libmouter.so.1",
      "-Wl,-rpath,$ORIGIN/../lib",
      "-Wl,--enable-new-dtags",
      `-Wl,-rpath-link,${lib}`,
    );
    mbin(join(bin, "m-pathfile"), "pf", `-L${join(m, "opt/pf")}`, "-l:libpf.so.1");
    mbin(join(bin, "m-missing"), "mgone", `-L${join(work, "mgone")}`, "-l:libmgone.so.1");
    write(join(work, "mpath/etc/ld-musl-x86_64.path"), "/lib\n/usr/local/lib\n/opt/pf\n");
    for (const l of ["musl", "mapp", "mpath"])
      sh("mksquashfs", [join(work, l), join(work, `${l}.sqsh`), "-noappend", "-quiet", "-all-root"]);
  }, 60_000);

  function realMusl(order: string[]): Record<string, string[]> {
    const root = join(work, `merged-${order.join("-")}`);
    for (const l of order) sh("cp", ["-a", `${join(work, l)}/.`, root]);
    const out: Record<string, string[]> = {};
    for (const p of MPROGRAMS) {
      const r = spawnSync("chroot", [root, MUSL, "--list", `/opt/m/bin/${p}`], { encoding: "utf8" });
      out[p] = [...`${r.stdout}${r.stderr}`.matchAll(/Error loading shared library ([^:]+):/g)].map(
        (x) => x[1] as string,
      );
    }
    return out;
  }

  async function ours(order: string[]) {
    const { findings } = await runChecks([libraryResolution], await model(order));
    const out: Record<string, string[]> = Object.fromEntries(MPROGRAMS.map((p) => [p, []]));
    for (const f of findings)
      out[f.path?.split("/").pop() as string]?.push(/needs ([^\s,]+)/.exec(f.message)?.[1] as string);
    return { out, findings };
  }

  it("agrees on the built-in path, rpath for indirect deps and a missing library", async () => {
    const order = ["rootfs", "musl", "mapp"];
    const real = realMusl(order);
    expect(real).toEqual({
      "m-default": [],
      "m-runpath-outer": [],
      "m-pathfile": ["libpf.so.1"],
      "m-missing": ["libmgone.so.1"],
    });
    const { out, findings } = await ours(order);
    expect(out).toEqual(real);
    expect(findings.find((f) => f.message.includes("libpf"))?.message).toBe(
      "mapp: /opt/m/bin/m-pathfile needs libpf.so.1, which its musl loader /lib/ld-musl-x86_64.so.1 does not find: it looked in musl's built-in path (/lib, /usr/local/lib, /usr/lib). The tree has it: mapp ships /opt/pf/libpf.so.1, outside that search",
    );
  }, 60_000);

  it("agrees when a path file adds the directory", async () => {
    const order = ["rootfs", "musl", "mapp", "mpath"];
    const real = realMusl(order);
    expect(real["m-pathfile"]).toEqual([]);
    expect((await ours(order)).out).toEqual(real);
  }, 60_000);
});
