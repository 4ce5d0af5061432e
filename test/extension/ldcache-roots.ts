import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Two extension roots as the NVIDIA deployment has them, made with gcc and the real ldconfig: glibc's, whose
 * cache lists glibc only, and the toolkit's, whose cache (`ldconfig -r` over glibc plus NVIDIA's libraries)
 * lists both while the root ships NVIDIA's libraries alone. Both ship the same cache path.
 */
export const LIB = "/usr/local/glibc/usr/lib";
export const CACHE = "/usr/local/glibc/etc/ld.so.cache";
export const GLIBC = ["libc.so.6", "libm.so.6"];
export const NVIDIA = ["libcuda.so.1", "libnvidia-ml.so.1"];

function ldconfig(root: string): void {
  mkdirSync(join(root, "usr/local/glibc/etc"), { recursive: true });
  writeFileSync(join(root, "usr/local/glibc/etc/ld.so.conf"), `${LIB}\n`);
  execFileSync("/sbin/ldconfig", ["-X", "-r", root, "-f", "/usr/local/glibc/etc/ld.so.conf", "-C", CACHE]);
}

export function makeRoots(work: string): { glibc: string; toolkit: string } {
  const glibc = join(work, "glibc");
  const toolkit = join(work, "toolkit");
  for (const root of [glibc, toolkit]) {
    mkdirSync(join(root, LIB), { recursive: true });
    for (const l of GLIBC) copyFileSync(`/usr/lib/x86_64-linux-gnu/${l}`, join(root, LIB, l));
  }
  for (const soname of NVIDIA) {
    const c = join(work, `${soname}.c`);
    writeFileSync(c, "int present(void) { return 1; }\n");
    const real = `${soname.replace(/\.1$/, "")}.595.58.03`;
    execFileSync("gcc", ["-shared", "-fPIC", `-Wl,-soname,${soname}`, "-o", join(toolkit, LIB, real), c]);
    symlinkSync(real, join(toolkit, LIB, soname));
  }
  ldconfig(glibc);
  ldconfig(toolkit);
  for (const l of GLIBC) rmSync(join(toolkit, LIB, l));
  return { glibc, toolkit };
}
