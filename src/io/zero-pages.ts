const PAGE = 4096;
const ZERO_PAGE = new Uint8Array(PAGE);

/**
 * `part` copied into `into` at `at`, less the whole pages of `into` that it fills with zeros. Into a fresh,
 * zero-filled buffer that is the same copy, and the pages skipped are never given memory: about half of a
 * decompressed vmlinux (padding between its segments, .init.scratch).
 */
export function setNonZeroPages(into: Uint8Array, part: Uint8Array, at: number): void {
  const buf = Buffer.from(part.buffer, part.byteOffset, part.length);
  // Spans end on the buffer's page boundaries, so a zero span is a zero page of `into`.
  for (let from = 0; from < part.length; ) {
    const to = Math.min(part.length, from + PAGE - ((at + from) % PAGE));
    if (to - from < PAGE || buf.compare(ZERO_PAGE, 0, PAGE, from, to) !== 0)
      into.set(part.subarray(from, to), at + from);
    from = to;
  }
}
