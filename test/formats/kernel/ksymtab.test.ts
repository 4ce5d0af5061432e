import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ElfFile } from "../../../src/formats/elf/file.js";
import { readExportedVersions, readModVersions } from "../../../src/formats/elf/versions.js";
import { readKernelImage } from "../../../src/formats/kernel/image.js";
import { FileSource } from "../../../src/io/source.js";

const fixtures = join(import.meta.dirname, "../../fixtures");
const release = readFileSync(join(fixtures, "out/debian-kernel/release"), "utf8").trim();

async function kernelCrcs(file: string) {
  const src = await FileSource.open(file);
  try {
    return (await readKernelImage(src)).exportCrcs;
  } finally {
    await src.close();
  }
}

describe("symbol versions (CONFIG_MODVERSIONS)", () => {
  it("reads every CRC Debian's vmlinuz exports as its headers' Module.symvers lists them", async () => {
    const crcs = await kernelCrcs(join(fixtures, "out/debian-kernel/vmlinuz"));
    const symvers = readFileSync(`/usr/src/linux-headers-${release}/Module.symvers`, "utf8")
      .split("\n")
      .map((l) => l.split("\t"))
      .filter((f) => f[2] === "vmlinux")
      .map(([crc, name]) => [name, Number(crc)] as const);
    expect(symvers.length).toBeGreaterThan(5000);
    expect(new Map(symvers)).toEqual(crcs);
  });

  it("reads every CRC Debian's modules export as its headers' Module.symvers lists them", async () => {
    const modules = join(fixtures, "out/debian-kernel/modules", release);
    const symvers = new Map<string, [string, number][]>();
    for (const line of readFileSync(`/usr/src/linux-headers-${release}/Module.symvers`, "utf8").split("\n")) {
      const [crc, name, module] = line.split("\t");
      if (module === undefined || module === "vmlinux") continue;
      symvers.set(module, [...(symvers.get(module) ?? []), [name as string, Number(crc)]]);
    }
    const files = readFileSync(join(modules, "modules.order"), "utf8")
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => l.replace(/\.ko$/, ""));
    let compared = 0;
    for (const module of files) {
      const src = await FileSource.open(join(modules, `${module}.ko`));
      const ours = await readExportedVersions(await ElfFile.open(src));
      await src.close();
      const listed = symvers.get(module.replace(/^kernel\//, "")) ?? [];
      expect(new Map(ours.map((v) => [v.name, v.crc])), module).toEqual(new Map(listed));
      compared += ours.length;
    }
    // Every module export Module.symvers lists, all 14,180 of them, is in the tree.
    expect(compared).toBe([...symvers.values()].reduce((n, l) => n + l.length, 0));
    expect(compared).toBeGreaterThan(10000);
  });

  it("finds none in a kernel built without MODVERSIONS", async () => {
    expect(await kernelCrcs(join(fixtures, "committed/tiny-kernel/vmlinuz"))).toBeUndefined();
  });

  it("reads a module's imported CRCs as modprobe --dump-modversions prints them", async () => {
    const file = join(fixtures, "out/extension/nvidia.a.ko");
    const src = await FileSource.open(file);
    const ours = await readModVersions(await ElfFile.open(src));
    await src.close();
    const dumped = execFileSync("/sbin/modprobe", ["--dump-modversions", file], { encoding: "utf8" })
      .trim()
      .split("\n")
      .map((l) => {
        const [crc, name] = l.split("\t");
        return { name, crc: Number(crc) };
      });
    expect(ours).toEqual(dumped);
    expect(ours.length).toBeGreaterThan(3);
  });
});
