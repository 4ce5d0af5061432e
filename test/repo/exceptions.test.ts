// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the paths hold shell variables, whose ${…} is shell syntax
import { describe, expect, it } from "vitest";
import { patternMatches } from "../../src/repo/checks/utils/exceptions.js";

// Go's filepath.Match over tar names, as extensions-duplicate-finder applies the exceptions' patterns.
describe("exceptions patterns", () => {
  it("keeps * within one segment, as filepath.Match does", () => {
    expect(
      patternMatches("rootfs/usr/lib/modules/*/kernel/a.ko", "rootfs/usr/lib/modules/6.18.1-talos/kernel/a.ko"),
    ).toBe(true);
    expect(patternMatches("rootfs/usr/lib/modules/*/a.ko", "rootfs/usr/lib/modules/6.18.1/kernel/a.ko")).toBe(false);
    expect(patternMatches("rootfs/etc/ld.so.c[ao]*", "rootfs/etc/ld.so.conf")).toBe(true);
    expect(patternMatches("rootfs/etc/ld.so.c[^o]*", "rootfs/etc/ld.so.conf")).toBe(false);
    expect(patternMatches("rootfs/etc/ld.so.conf", "rootfs/etc/ld.so.cache")).toBe(false);
  });

  it("lets a build's shell variable stand for any one segment", () => {
    expect(
      patternMatches("rootfs/usr/lib/modules/*/kernel/a.ko", "rootfs/usr/lib/modules/${KERNELRELEASE}/kernel/a.ko"),
    ).toBe(true);
    expect(patternMatches("rootfs/usr/lib/ld-linux-x86-64.so.2", "rootfs/usr/lib/${LD_LINUX_PATH}")).toBe(true);
    expect(patternMatches("rootfs/usr/lib/ld-linux-x86-64.so.2", "rootfs/usr/local/${LD_LINUX_PATH}")).toBe(false);
  });
});
