import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { release } from "../../src/io/release.js";

describe("release", () => {
  it("detaches a buffer and frees its memory without waiting for a collection", async () => {
    const size = 64 << 20;
    const bytes = new Uint8Array(size).fill(7);
    const before = process.memoryUsage().arrayBuffers;
    release(bytes.buffer);
    expect(bytes.length).toBe(0);
    expect(bytes.buffer.byteLength).toBe(0);
    await sleep(20); // the channel closes on the next turns of the event loop
    // Others may allocate a few bytes meanwhile.
    expect(before - process.memoryUsage().arrayBuffers).toBeGreaterThan(size - (1 << 20));
  });
});
