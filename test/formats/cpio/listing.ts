import { modeString } from "../../../src/cli/inspect.js";
import type { CpioEntry } from "../../../src/formats/cpio/reader.js";

/** One line of `cpio -itv --numeric-uid-gid`, less the date. */
export interface ListedEntry {
  mode: string;
  nlink: number;
  uid: number;
  gid: number;
  /** The size, or "major, minor" of a device. */
  size: string;
  name: string;
  target: string | undefined;
}

/** `cpio -itv --numeric-uid-gid` lines: mode, links, uid, gid, size or "major, minor", date, name [-> target]. */
export function gnuListing(text: string): ListedEntry[] {
  return text
    .trim()
    .split("\n")
    .map((line) => {
      const m = /^(\S{10})\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+,\s+\d+|\d+) \w+ +\d+ +[\d:]+ (.*?)(?: -> (.*))?$/.exec(line);
      if (m === null) throw new Error(`unparsed cpio line: ${line}`);
      return {
        mode: m[1] as string,
        nlink: Number(m[2]),
        uid: Number(m[3]),
        gid: Number(m[4]),
        size: (m[5] as string).replace(/\s+/g, " "),
        name: m[6] as string,
        target: m[7],
      };
    });
}

/** Our entries in the fields of `gnuListing`. */
export function ourListing(entries: readonly CpioEntry[]): ListedEntry[] {
  return entries.map((e) => ({
    mode: modeString(e.type, e.mode),
    nlink: e.nlink,
    uid: e.uid,
    gid: e.gid,
    size: e.type === "char" || e.type === "block" ? `${e.rdevmajor}, ${e.rdevminor}` : String(e.size),
    name: e.name,
    target: e.linkTarget,
  }));
}
