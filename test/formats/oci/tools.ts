/**
 * The real tools the image-archive tests take their expected values from: GNU tar listings (with block
 * numbers), skopeo, umoci, file, getfattr; and the fixture paths of make-image.sh.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const IMAGES = join(import.meta.dirname, "../../fixtures/out/image");
export const fixture = (name: string): string => join(IMAGES, name);

/** Every archive of the one five-layer image (make-image.sh). */
export const FORMATS = [
  "legacy.tar",
  "docker24.tar",
  "oci-gzip.tar",
  "oci-zstd.tar",
  "oci-plain.tar",
  "oci-mixed.tar",
  "docker25.tar",
  "multi.tar",
] as const;

export const isDockerArchive = (name: string): boolean => name === "legacy.tar" || name === "docker24.tar";
export const transport = (name: string): string =>
  (isDockerArchive(name) ? "docker-archive:" : "oci-archive:") + fixture(name);

export function run(cmd: string, args: readonly string[], input?: Uint8Array): Buffer {
  return execFileSync(cmd, args, {
    maxBuffer: 1 << 30,
    ...(input ? { input } : {}),
    env: { ...process.env, LC_ALL: "C" },
  });
}
export const runText = (cmd: string, args: readonly string[], input?: Uint8Array): string =>
  run(cmd, args, input).toString("utf8");
export const bash = (script: string): string => runText("bash", ["-euo", "pipefail", "-c", script]);

export const scratch = (prefix: string): string => mkdtempSync(join(tmpdir(), prefix));

/** One line of `tar --numeric-owner -tv`. */
export interface GnuMember {
  /** `drwxr-xr-x`, with `h` for hard links. */
  readonly mode: string;
  readonly uid: number;
  readonly gid: number;
  /** Size, or `major,minor` for devices. */
  readonly size: string;
  /** Absolute, as the reader cleans it: `./a/` is `/a`. */
  readonly path: string;
  readonly link?: string;
}

const clean = (p: string): string =>
  `/${p
    .split("/")
    .filter((x) => x !== "" && x !== ".")
    .join("/")}`;

/** GNU tar's verbose listing of a tar file (or of bytes), names literal (UTF-8). */
export function gnuList(tar: string | Uint8Array): GnuMember[] {
  const args = ["--quoting-style=literal", "--numeric-owner", "-tv", "-f", typeof tar === "string" ? tar : "-"];
  return runText("tar", args, typeof tar === "string" ? undefined : tar)
    .split("\n")
    .filter((l) => l !== "")
    .map((line) => {
      const m = /^(\S{10}) (\d+)\/(\d+)\s+(\d+|\d+,\d+) \S+ \S+ (.*)$/.exec(line);
      if (m === null) throw new Error(`unparsed GNU tar line: ${line}`);
      const [, mode, uid, gid, size, rest] = m as unknown as string[];
      const kind = (mode as string)[0];
      const sep = kind === "l" ? " -> " : kind === "h" ? " link to " : undefined;
      const at = sep === undefined ? -1 : (rest as string).indexOf(sep);
      const name = at < 0 ? (rest as string) : (rest as string).slice(0, at);
      return {
        mode: mode as string,
        uid: Number(uid),
        gid: Number(gid),
        size: size as string,
        path: clean(name),
        ...(sep === undefined || at < 0
          ? {}
          : {
              link:
                kind === "h" ? clean((rest as string).slice(at + sep.length)) : (rest as string).slice(at + sep.length),
            }),
      };
    });
}

/**
 * Where Python's tarfile puts each member: its first block (PAX or GNU long-name header included) and its
 * data. GNU tar -R is no oracle here: it names the first block of a GNU long name but the ustar block of a
 * PAX member.
 */
export function pyOffsets(tarFile: string): { path: string; offset: number; dataOffset: number }[] {
  const script = `import json, sys, tarfile
print(json.dumps([[m.name, m.offset, m.offset_data] for m in tarfile.open(sys.argv[1], format=tarfile.PAX_FORMAT)]))`;
  return (JSON.parse(runText("python3", ["-c", script, tarFile])) as [string, number, number][]).map(
    ([name, offset, dataOffset]) => ({ path: clean(name), offset, dataOffset }),
  );
}

/** An OCI archive unpacked by GNU tar: its manifest and the path of each layer blob. */
export interface Layout {
  readonly dir: string;
  readonly manifest: { config: { digest: string }; layers: { digest: string; size: number; mediaType: string }[] };
  readonly blob: (digest: string) => string;
}

/** Unpacks an OCI layout archive (not legacy) and reads the manifest skopeo picks. */
export function unpackLayout(name: string, platform: string[] = []): Layout {
  const dir = scratch("layout-");
  run("tar", ["-xf", fixture(name), "-C", dir]);
  const manifest = JSON.parse(
    runText("skopeo", [...platform, "inspect", "--raw", transport(name)]),
  ) as Layout["manifest"];
  return { dir, manifest, blob: (d) => join(dir, "blobs/sha256", d.replace(/^sha256:/, "")) };
}

export const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

/** What a path is in an unpacked tree, as lstat and readlink see it. */
export interface DiskEntry {
  readonly type: "dir" | "file" | "symlink" | "fifo" | "other";
  readonly mode: number;
  readonly size: number;
  readonly link?: string;
  readonly sha256?: string;
  readonly ino: number;
}

export function diskTree(root: string): Map<string, DiskEntry> {
  const out = new Map<string, DiskEntry>();
  const walk = (rel: string) => {
    for (const d of readdirSync(join(root, rel), { withFileTypes: true })) {
      const p = `${rel}/${d.name}`;
      const full = join(root, p);
      const st = lstatSync(full);
      const base = { mode: st.mode & 0o7777, ino: st.ino };
      if (st.isDirectory()) {
        out.set(p, { ...base, type: "dir", size: 0 });
        walk(p);
      } else if (st.isSymbolicLink()) out.set(p, { ...base, type: "symlink", size: 0, link: readlinkSync(full) });
      else if (st.isFIFO()) out.set(p, { ...base, type: "fifo", size: 0 });
      else if (st.isFile()) out.set(p, { ...base, type: "file", size: st.size, sha256: sha256(readFileSync(full)) });
      else out.set(p, { ...base, type: "other", size: 0 });
    }
  };
  walk("");
  return out;
}

/** `getfattr -R -d -m - -e hex --absolute-names ROOT`'s dump: path (absolute, inside ROOT) to name to hex. */
export function parseGetfattr(text: string, root: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const line of text.split("\n")) {
    if (line.startsWith("# file: ")) {
      current = new Map();
      out.set(line.slice(8).slice(root.length) || "/", current);
    } else if (current && line.includes("=0x")) {
      const [name, value] = line.split("=0x") as [string, string];
      current.set(name, value);
    }
  }
  return out;
}

/** The xattrs of an unpacked tree. */
export const xattrsOf = (root: string): Map<string, Map<string, string>> =>
  parseGetfattr(runText("getfattr", ["-h", "-R", "-d", "-m", "-", "-e", "hex", "--absolute-names", root]), root);

/**
 * The xattrs GNU tar restores from a layer tar, security.* included: extracted and dumped inside one fakeroot
 * session, which keeps the xattrs an unprivileged user may not set.
 */
export function layerXattrs(tarFile: string): Map<string, Map<string, string>> {
  const dir = scratch("xattrs-");
  const text = runText("fakeroot", [
    "bash",
    "-euc",
    // A layer's hard link to a lower layer's file cannot be made from the layer alone; nothing else may fail.
    'if ! tar --xattrs --xattrs-include="*" -xf "$1" -C "$2" 2>"$2.err"; then\n' +
      '  if grep -v -e "Cannot hard link" -e "Exiting with failure" "$2.err" >&2; then exit 1; fi\n' +
      "fi\n" +
      'getfattr -h -R -d -m - -e hex --absolute-names "$2"',
    "-",
    tarFile,
    dir,
  ]);
  return parseGetfattr(text, dir);
}

/** A member of a fixture archive, as GNU tar extracts it. */
const member = (name: string, path: string): Buffer => run("tar", ["-xOf", fixture(name), path]);
const memberJson = <T>(name: string, path: string): T => JSON.parse(member(name, path).toString("utf8")) as T;
const blobPath = (digest: string): string => `blobs/sha256/${digest.slice("sha256:".length)}`;
const digestOf = (b: Uint8Array): string => `sha256:${sha256(b)}`;

/** The FormatError a bad-*.tar fixture of make-image.sh must give: what the archive says, and what is there. */
export interface Fault {
  readonly offset: number;
  readonly structure: string;
  readonly expected: string;
  readonly found: string;
}

interface ManifestJson {
  config: { digest: string };
  layers: { digest: string; size: number }[];
}

/**
 * The fault each fixture with a wrong digest or size holds, from GNU tar (the members), gzip, Python's
 * tarfile (offsets) and the archive's own JSON.
 */
export function digestFault(name: string): Fault {
  const at = (path: string): number => pyOffsets(fixture(name)).find((m) => m.path === `/${path}`)?.dataOffset ?? -1;
  const mismatch = (path: string, structure: string, expected: string, bytes = member(name, path)): Fault => ({
    offset: at(path),
    structure,
    expected,
    found: digestOf(bytes),
  });
  if (name.endsWith("-legacy.tar")) {
    const entry = memberJson<{ Config: string; Layers: string[] }[]>(name, "manifest.json")[0];
    const config = memberJson<{ rootfs: { diff_ids: string[] } }>(name, entry?.Config ?? "");
    const layer = entry?.Layers[0] ?? "";
    return mismatch(layer, "layer 0 uncompressed tar, rootfs.diff_ids[0]", config.rootfs.diff_ids[0] ?? "");
  }
  const top = memberJson<{ manifests: { digest: string }[] }>(name, "index.json").manifests[0]?.digest ?? "";
  if (name === "bad-manifest.tar") return mismatch(blobPath(top), `image manifest ${blobPath(top)}`, top);
  if (name === "bad-index.tar") return mismatch(blobPath(top), `image index ${blobPath(top)}`, top);
  const manifest = memberJson<ManifestJson>(name, blobPath(top));
  const [layer0, layer1] = manifest.layers as [ManifestJson["layers"][0], ManifestJson["layers"][0]];
  const config = manifest.config.digest;
  switch (name) {
    case "bad-config.tar":
      return mismatch(blobPath(config), `image config ${blobPath(config)}`, config);
    case "bad-size.tar":
      return {
        offset: at(blobPath(layer1.digest)),
        structure: `layer 1 ${layer1.digest}`,
        expected: `${layer1.size} bytes`,
        found: String(member(name, blobPath(layer1.digest)).length),
      };
    case "bad-data-gzip.tar":
    case "bad-data-plain.tar":
      return mismatch(blobPath(layer0.digest), `layer 0 blob ${layer0.digest}`, layer0.digest);
    case "bad-diffid-gzip.tar":
    case "bad-diffid-plain.tar": {
      const diffIds = memberJson<{ rootfs: { diff_ids: string[] } }>(name, blobPath(config)).rootfs.diff_ids;
      const stored = member(name, blobPath(layer0.digest));
      const tar = name === "bad-diffid-gzip.tar" ? run("gzip", ["-dc"], stored) : stored;
      return mismatch(blobPath(layer0.digest), "layer 0 uncompressed tar, rootfs.diff_ids[0]", diffIds[0] ?? "", tar);
    }
    default:
      throw new Error(`no digest fault known for ${name}`);
  }
}
