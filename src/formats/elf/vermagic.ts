/** The kernel release a module was built for: the first word of its `vermagic`. */
export function vermagicRelease(vermagic: string): string {
  return vermagic.trim().split(/\s+/, 1)[0] ?? "";
}

/** Whether a module's `vermagic` names this kernel release, which is where modprobe looks for it. */
export function vermagicMatchesRelease(vermagic: string, release: string): boolean {
  return vermagicRelease(vermagic) === release;
}
