import { describe, expect, it } from "vitest";
import { type Found, type Lookup, MAX_SYMLINKS, resolveAsync, resolveSync } from "../../src/io/symlink.js";

/** A tree given as absolute path -> "dir", "file" or a symlink target; nodes are their paths. */
function lookupIn(tree: Record<string, string>) {
  const asked: string[] = [];
  const lookup = ({ dir, dirPath, name }: Lookup<string>): Found<string> => {
    expect(dirPath).toBe(dir);
    const path = dir === "/" ? `/${name}` : `${dir}/${name}`;
    asked.push(path);
    if (tree[dir] !== "dir" && dir !== "/") return undefined;
    const kind = tree[path];
    if (kind === undefined) return undefined;
    return kind === "dir" || kind === "file" ? { node: path } : { node: path, symlink: kind };
  };
  return { lookup, asked };
}

const TREE: Record<string, string> = {
  "/usr": "dir",
  "/usr/lib": "dir",
  "/usr/lib/libc.so.6": "file",
  "/lib": "usr/lib",
  "/abs": "/usr/lib/libc.so.6",
  "/up": "../../../usr",
  "/usr/lib/rel": "../lib/libc.so.6",
  "/dangling": "nowhere",
  "/loop1": "loop2",
  "/loop2": "/loop1",
};

const sync = (path: string, followLast = true) =>
  resolveSync("/", path.split("/"), { followLast }, lookupIn(TREE).lookup);

describe("symlink resolution", () => {
  it("follows relative and absolute links; `..` stops at the root", () => {
    expect(sync("/lib/libc.so.6")).toEqual({ kind: "found", node: "/usr/lib/libc.so.6", path: "/usr/lib/libc.so.6" });
    expect(sync("/abs")).toMatchObject({ path: "/usr/lib/libc.so.6" });
    expect(sync("/lib/rel")).toMatchObject({ path: "/usr/lib/libc.so.6" });
    expect(sync("/up/lib")).toMatchObject({ path: "/usr/lib" });
    expect(sync("/../../usr/./lib/")).toMatchObject({ path: "/usr/lib" });
    expect(sync("/")).toEqual({ kind: "found", node: "/", path: "/" });
  });

  it("stops at a last link unless told to follow it, but follows one that `..` comes after", () => {
    expect(sync("/lib", false)).toMatchObject({ node: "/lib", path: "/lib" });
    expect(sync("/lib/", false)).toMatchObject({ node: "/lib" });
    expect(sync("/lib/..", false)).toMatchObject({ path: "/usr" });
    expect(sync("/lib", true)).toMatchObject({ path: "/usr/lib" });
  });

  it("a missing name, or one the lookup refuses, is missing", () => {
    expect(sync("/dangling")).toEqual({ kind: "missing" });
    expect(sync("/usr/lib/libc.so.6/x")).toEqual({ kind: "missing" });
    expect(sync("/dangling", false)).toMatchObject({ kind: "found", node: "/dangling" });
  });

  it(`gives up after ${MAX_SYMLINKS} links, naming the one too many`, () => {
    expect(MAX_SYMLINKS).toBe(40);
    const { lookup, asked } = lookupIn(TREE);
    const r = resolveSync("/", ["", "loop1"], { followLast: true }, lookup);
    expect(r).toEqual({ kind: "loop", link: "/loop1", name: "loop1" });
    expect(asked).toHaveLength(MAX_SYMLINKS + 1);
  });

  it(`follows a chain of exactly ${MAX_SYMLINKS} links`, () => {
    const chain: Record<string, string> = { "/end": "file" };
    for (let i = 0; i < MAX_SYMLINKS; i++) chain[`/l${i}`] = i === MAX_SYMLINKS - 1 ? "end" : `l${i + 1}`;
    const resolve = (tree: Record<string, string>) =>
      resolveSync("/", ["", "l0"], { followLast: true }, lookupIn(tree).lookup);
    expect(resolve(chain)).toMatchObject({ kind: "found", path: "/end" });
    const longer = { ...chain, [`/l${MAX_SYMLINKS - 1}`]: "extra", "/extra": "end" };
    expect(resolve(longer)).toMatchObject({ kind: "loop", name: "extra" });
  });

  it("the async walk takes async and sync lookups and resolves alike", async () => {
    const { lookup } = lookupIn(TREE);
    const parts = "/lib/rel".split("/");
    const want = resolveSync("/", parts, { followLast: true }, lookup);
    expect(await resolveAsync("/", parts, { followLast: true }, async (q) => lookup(q))).toEqual(want);
    expect(await resolveAsync("/", parts, { followLast: true }, lookup)).toEqual(want);
    expect(await resolveAsync("/", ["", "loop2"], { followLast: true }, lookup)).toMatchObject({ kind: "loop" });
  });
});
