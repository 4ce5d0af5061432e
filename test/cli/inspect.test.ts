import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inspect } from "../../src/cli/inspect.js";
import {
  fixture,
  type GnuMember,
  gnuList,
  type Layout,
  run,
  runText,
  scratch,
  transport,
  unpackLayout,
} from "../formats/oci/tools.js";
import { runCapturing } from "./run.js";

const EXAMPLE = "talos-like-docker.tar";
const INITRAMFS = "/usr/install/amd64/initramfs.xz";

const inspectRun = (...argv: string[]) => runCapturing(inspect, ...argv);

/** The example's layers as GNU tar lists them, and what the flattened view must be: the top listing wins. */
let layout: Layout;
let listings: GnuMember[][];
let expected: Map<string, { member: GnuMember; layer: number; shadowed: number[] }>;
let work: string;
beforeAll(() => {
  work = scratch("inspect-");
  layout = unpackLayout(EXAMPLE);
  listings = layout.manifest.layers.map((l) => gnuList(layout.blob(l.digest)));
  expected = new Map();
  listings.forEach((members, layer) => {
    for (const member of members) {
      if (member.path === "/") continue;
      const below = expected.get(member.path);
      expected.set(member.path, { member, layer, shadowed: below ? [...below.shadowed, below.layer] : [] });
    }
  });
});
afterAll(() => run("rm", ["-rf", layout.dir, work]));

/** Depth first, names sorted at each level: how the listing is ordered. */
const byComponents = (a: string, b: string): number => {
  const x = a.split("/");
  const y = b.split("/");
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return (x[i] as string) < (y[i] as string) ? -1 : 1;
  }
  return x.length - y.length;
};

const short = (layer: number) => `${layer}:${layout.manifest.layers[layer]?.digest.slice(7, 19)}`;

describe("talos-ext inspect IMAGE", () => {
  it("prints the image as skopeo reads it, then every path, sorted, with mode, owner, size and layers", async () => {
    const { code, out } = await inspectRun(fixture(EXAMPLE));
    expect(code).toBe(0);
    const [header, body] = out.trimEnd().split("\n\n") as [string, string];
    const config = JSON.parse(runText("skopeo", ["inspect", "--config", transport(EXAMPLE)]));
    const index = JSON.parse(runText("tar", ["-xOf", fixture(EXAMPLE), "index.json"]));
    expect(header.split("\n")).toEqual([
      `image     ${fixture(EXAMPLE)}`,
      "format    docker-oci-archive",
      `name      ${index.manifests[0].annotations["io.containerd.image.name"]}`,
      `platform  ${config.os}/${config.architecture}`,
      `talos     ${config.config.Labels["alpha.talos.dev/version"]}`,
      ...layout.manifest.layers.map(
        (l, i) => `layer ${i}   ${l.digest}  none  ${readFileSync(layout.blob(l.digest)).length} bytes`,
      ),
    ]);
    const lines = body.split("\n");
    const paths = [...expected.keys()].sort(byComponents);
    expect(lines.map((l) => l.split(/\s+/)[4])).toEqual(paths);
    for (const [i, path] of paths.entries()) {
      const { member, layer, shadowed } = expected.get(path) as {
        member: GnuMember;
        layer: number;
        shadowed: number[];
      };
      const fields = (lines[i] as string).split(/\s+/);
      expect(fields.slice(0, 4)).toEqual([member.mode, `${member.uid}/${member.gid}`, member.size, short(layer)]);
      const note = shadowed.length > 0 ? `  (shadows ${shadowed.map(short).join(", ")})` : "";
      expect(lines[i]?.endsWith(`${path}${note}`)).toBe(true);
    }
  });

  it("--json: the same entries, with layer indexes and digests", async () => {
    const { code, out } = await inspectRun(fixture(EXAMPLE), "--json");
    expect(code).toBe(0);
    const doc = JSON.parse(out) as {
      talosVersion: string;
      layers: { digest: string }[];
      entries: { path: string; size: number; layer: number; layerDigest: string; shadowed: number[] }[];
    };
    expect(doc.layers.map((l) => l.digest)).toEqual(layout.manifest.layers.map((l) => l.digest));
    expect(doc.entries.map((e) => [e.path, String(e.size), e.layer, e.shadowed])).toEqual(
      [...expected.keys()].sort(byComponents).map((p) => {
        const x = expected.get(p) as { member: GnuMember; layer: number; shadowed: number[] };
        return [p, x.member.size, x.layer, x.shadowed];
      }),
    );
    for (const e of doc.entries) expect(e.layerDigest).toBe(layout.manifest.layers[e.layer]?.digest);
  });

  it("PATH: a directory and its children", async () => {
    const dir = "/usr/install/amd64";
    const { code, out } = await inspectRun(fixture(EXAMPLE), dir, "--json");
    expect(code).toBe(0);
    const doc = JSON.parse(out) as { entries: { path: string }[] };
    const children = [...expected.keys()].filter(
      (p) => p.startsWith(`${dir}/`) && !p.slice(dir.length + 1).includes("/"),
    );
    expect(doc.entries.map((e) => e.path)).toEqual([dir, ...children.sort()]);
  });

  it("--platform picks the arm64 image of a nested index", async () => {
    const { code, out } = await inspectRun(fixture("multi.tar"), "--platform", "linux/arm64", "--json");
    expect(code).toBe(0);
    const arm = JSON.parse(
      runText("skopeo", ["--override-arch", "arm64", "inspect", "--config", transport("multi.tar")]),
    );
    const doc = JSON.parse(out) as { platform: string; labels: Record<string, string> };
    expect(doc.platform).toBe(`${arm.os}/${arm.architecture}`);
    expect(doc.labels).toEqual(arm.config.Labels);
  });
});

/** The cpio listing GNU cpio prints for a stream: mode, uid, gid, size (or major, minor), name. */
function cpioList(bytes: Uint8Array): string[][] {
  return runText("cpio", ["--quiet", "-itv", "--numeric-uid-gid"], bytes)
    .trim()
    .split("\n")
    .map((l) => {
      const f = l.split(/\s+/);
      return [f[0] as string, `${f[2]}/${f[3]}`, f[4] as string, f.slice(8).join(" ")];
    });
}

describe("talos-ext inspect IMAGE INITRAMFS", () => {
  it("lists each segment's cpio entries as GNU cpio does after the right decoder, at the offsets given", async () => {
    const { code, out } = await inspectRun(fixture(EXAMPLE), INITRAMFS, "--json");
    expect(code).toBe(0);
    const doc = JSON.parse(out) as {
      segments: { compression: string; offset: number; length: number; entries: { name: string }[] }[];
    };
    const initramfs = run("tar", [
      "-xOf",
      layout.blob(layout.manifest.layers[1]?.digest as string),
      INITRAMFS.slice(1),
    ]);
    expect(doc.segments.map((s) => s.compression)).toEqual(["none", "zstd", "xz"]);
    const decode: Record<string, string[]> = { none: ["cat"], zstd: ["zstd", "-dc"], xz: ["xz", "-dc"] };
    const human = (await inspectRun(fixture(EXAMPLE), INITRAMFS)).out.split(/^segment /m).slice(1);
    let end = 0;
    for (const [i, s] of doc.segments.entries()) {
      // Only NUL padding between segments, as the kernel allows.
      expect(initramfs.subarray(end, s.offset).every((b) => b === 0)).toBe(true);
      const member = initramfs.subarray(s.offset, s.offset + s.length);
      const [cmd, ...args] = decode[s.compression] as [string, ...string[]];
      const lines = (human[i] as string)
        .trim()
        .split("\n")
        .slice(1)
        .map((l) => l.trim().split(/\s+/));
      expect(lines).toEqual(cpioList(run(cmd, args, member)));
      end = s.offset + s.length;
    }
    expect(initramfs.subarray(end).every((b) => b === 0)).toBe(true);
  });
});

describe("unusable input exits 2 with a message naming the problem", () => {
  it.each([
    ["a missing file", ["/nonexistent/image.tar"], /ENOENT.*\/nonexistent\/image\.tar/],
    ["a truncated archive", [fixture("bad-truncated.tar")], /bad-truncated\.tar: offset \d+/],
    ["a blob with a wrong digest", [fixture("bad-digest.tar")], /bad-digest\.tar: offset \d+ \(layer 0 blob sha256:/],
    [
      "a layer naming ../x",
      [fixture("bad-dotdot.tar")],
      /layer 0: offset 0 \(tar member name\): expected a path without '\.\.', found "\.\.\/x"/,
    ],
    ["a layer naming /etc/passwd", [fixture("bad-absolute.tar")], /expected a relative path, found "\/etc\/passwd"/],
    ["a decompression bomb", [fixture("bad-bomb.tar")], /zstd output\): needs \d+ bytes, over the limit of 1073741824/],
    ["a path not in the image", [fixture(EXAMPLE), "/nope"], /no \/nope in the image/],
    ["no archive", [], /^talos-ext inspect: Usage: talos-ext inspect IMAGE\.tar/],
    ["an unknown option", [fixture(EXAMPLE), "--bogus"], /Unknown option '--bogus'/],
    ["a malformed platform", [fixture(EXAMPLE), "--platform", "linux"], /expected os\/arch\[\/variant\], got 'linux'/],
    [
      "a platform the archive lacks",
      [fixture("multi.tar"), "--platform", "linux/s390x"],
      /a manifest for linux\/s390x/,
    ],
  ])("%s", async (_, argv, message) => {
    const { code, out, err } = await inspectRun(...argv);
    expect(code).toBe(2);
    expect(out).toBe("");
    expect(err).toMatch(message);
  });
});
