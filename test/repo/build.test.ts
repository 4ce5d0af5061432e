/** The static reading of a package's steps into its build tree: what `rm` takes away. */
import { describe, expect, it } from "vitest";
import { inferBuild } from "../../src/repo/build/infer.js";
import type { PkgContext } from "../../src/repo/installs.js";
import type { PkgDoc } from "../../src/repo/pkg.js";

const NO_FILES: PkgContext = { files: new Set(), dirs: new Set(), text: () => undefined };

/** The output paths of a package whose one install step is `script`, finalized from /rootfs to /rootfs. */
function outputOf(script: string): string[] {
  const place = { line: 1, column: 1 };
  const pkg: PkgDoc = {
    dependencies: [],
    scripts: [{ step: 0, phase: "install", text: script, lines: [place] }],
    sboms: [],
    finalize: [{ from: "/rootfs", to: "/rootfs", place }],
    errors: [],
  };
  return [
    ...inferBuild(
      "pkg.yaml",
      pkg,
      NO_FILES,
      () => undefined,
      () => "/etc/ld.so.cache",
    ).output.keys(),
  ];
}

const WRITE = "mkdir -p /rootfs/usr/lib\necho > /rootfs/usr/lib/a.so\necho > /rootfs/usr/lib/b.txt\n";

describe("rm in a step", () => {
  it("removes a path it names, and what lies under it", () => {
    expect(outputOf(`${WRITE}rm /rootfs/usr/lib/a.so`)).toEqual(["/rootfs/usr/lib", "/rootfs/usr/lib/b.txt"]);
    expect(outputOf(`${WRITE}rm -rf /rootfs/usr/lib`)).toEqual([]);
  });

  it("removes the entries a glob matches and nothing else", () => {
    expect(outputOf(`${WRITE}rm -f /rootfs/usr/lib/*.so`)).toEqual(["/rootfs/usr/lib", "/rootfs/usr/lib/b.txt"]);
  });

  it("leaves what lies outside /rootfs to the build", () => {
    expect(outputOf(`${WRITE}rm -rf /tmp /usr/lib`)).toEqual([
      "/rootfs/usr/lib",
      "/rootfs/usr/lib/a.so",
      "/rootfs/usr/lib/b.txt",
    ]);
  });
});
