import { describe, expect, it } from "vitest";
import { inspect } from "../../src/cli/inspect.js";
import { digestFault, fixture } from "../formats/oci/tools.js";
import { runCapturing } from "./run.js";

const inspectRun = (...argv: string[]) => runCapturing(inspect, ...argv);

describe("inspect checks every digest and size the archive states", () => {
  it.each([
    ["bad-data-gzip.tar", "one byte of a file's data in a gzip layer"],
    ["bad-data-plain.tar", "one byte of a file's data in an uncompressed OCI layer"],
    ["bad-data-legacy.tar", "one byte of a file's data in a docker-archive layer"],
    ["bad-manifest.tar", "an image manifest edited in place"],
    ["bad-config.tar", "an image config edited in place"],
    ["bad-index.tar", "a nested image index edited in place"],
    ["bad-size.tar", "a layer blob one byte short of its descriptor's size"],
    ["bad-diffid-gzip.tar", "a gzip layer whose tar is not its rootfs.diff_ids entry"],
    ["bad-diffid-plain.tar", "an uncompressed OCI layer whose tar is not its rootfs.diff_ids entry"],
    ["bad-diffid-legacy.tar", "a docker-archive layer whose tar is not its rootfs.diff_ids entry"],
  ])("%s (%s): exit 2, naming the file, the offset, the blob and what it should be", async (name) => {
    const f = digestFault(name);
    const { code, out, err } = await inspectRun(fixture(name));
    expect(code).toBe(2);
    expect(out).toBe("");
    expect(err).toBe(
      `talos-ext inspect: ${fixture(name)}: offset ${f.offset} (${f.structure}): expected ${f.expected}, found ${f.found}\n`,
    );
  });
});
