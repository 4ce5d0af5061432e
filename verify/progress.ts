/**
 * What the loader reports while it reads, the tally it keeps of each input's bytes, and the one-line display
 * `talos-ext verify` keeps on a terminal's stderr: bytes read of the total and the artifact (and member) being
 * read. Off a terminal nothing is written, so logs and pipes see only the report.
 */
import type { ByteSource } from "../src/io/source.js";

/** The loader's side: bytes are counted against the sum of the inputs' file sizes. */
export interface Progress {
  /** Called once, before anything is read, with the sum of the inputs' sizes. */
  start(totalBytes: number): void;
  /** Reading moves on to `location` (an input, or a member inside one). */
  at(location: string): void;
  /** `doneBytes` of the total are read now. */
  reached(doneBytes: number): void;
  /** Reading is over; the display is taken away. */
  end(): void;
}

/** The stream the display writes to: a terminal is what makes it worth drawing. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): unknown;
}

const MIB = 2 ** 20;
const mib = (n: number): string => (n / MIB).toFixed(1);

function printable(s: string): string {
  let out = "";
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    out += c < 0x20 || (c >= 0x7f && c <= 0x9f) ? "?" : ch;
  }
  return out;
}

/** Redraws at most this often: a redraw per module would cost more than the reading it reports. */
const REDRAW_MS = 100;

/**
 * A display on `stream` when it is a terminal (and undefined otherwise, so callers pass nothing on).
 * `now` is injectable so tests need no real clock.
 */
export function terminalProgress(stream: ProgressStream, now: () => number = Date.now): Progress | undefined {
  if (stream.isTTY !== true) return undefined;
  let total = 0;
  let done = 0;
  let where = "";
  let drawn = false;
  let last = Number.NEGATIVE_INFINITY;
  const draw = (force: boolean): void => {
    const t = now();
    if (!force && t - last < REDRAW_MS) return;
    last = t;
    const pct = total > 0 ? Math.floor((Math.min(done, total) / total) * 100) : 0;
    const line = `verify: ${mib(Math.min(done, total))} of ${mib(total)} MiB read (${pct}%)  ${where}`;
    const width = Math.max((stream.columns ?? 80) - 1, 20);
    // Keep the tail of a long location: the member being read is at its end. Control characters from the
    // inputs' names are dropped so a name cannot move the cursor.
    const text = line.length > width ? `${line.slice(0, 40)}…${line.slice(line.length - (width - 41))}` : line;
    stream.write(`\r\x1b[K${printable(text)}`);
    drawn = true;
  };
  return {
    start(totalBytes) {
      total = totalBytes;
      draw(true);
    },
    at(location) {
      // A new place is drawn at once: it changes seldom, and it is what tells a slow read from a hang.
      const moved = location !== where;
      where = location;
      draw(moved);
    },
    reached(doneBytes) {
      done = doneBytes;
      draw(false);
    },
    end() {
      if (drawn) stream.write("\r\x1b[K");
    },
  };
}

/** One input's share of the tally. */
export interface Counter {
  at(location: string): void;
  read(bytes: number): void;
  finish(): void;
}

/** Bytes taken out of each input, for the progress display; a no-op without one. */
export class Tally {
  private readonly done: number[];
  constructor(
    private readonly sizes: readonly number[],
    private readonly progress: Progress | undefined,
  ) {
    this.done = sizes.map(() => 0);
    progress?.start(sizes.reduce((a, b) => a + b, 0));
  }
  /** The counter of input `i`: what it reads counts up to that input's size, no further. */
  input(i: number): Counter {
    const size = this.sizes[i] as number;
    const report = () => this.progress?.reached(this.done.reduce((a, b) => a + b, 0));
    return {
      at: (location) => this.progress?.at(location),
      read: (bytes) => {
        this.done[i] = Math.min(size, (this.done[i] as number) + bytes);
        report();
      },
      finish: () => {
        this.done[i] = size;
        report();
      },
    };
  }
}

/** A source whose reads count as progress. */
export class CountingSource implements ByteSource {
  readonly name: string;
  readonly size: number;
  constructor(
    private readonly inner: ByteSource,
    private readonly counter: Counter,
  ) {
    this.name = inner.name;
    this.size = inner.size;
  }
  async read(offset: number, length: number, what: string): Promise<Uint8Array> {
    const bytes = await this.inner.read(offset, length, what);
    this.counter.read(length);
    return bytes;
  }
}
