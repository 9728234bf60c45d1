/**
 * Output files of the generator. Rows are copied into a buffer of a few megabytes that is written
 * with one system call when full: no per-row write, and never a whole file in memory.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

const CHUNK_BYTES = 8 << 20;

export class ChunkWriter {
  private readonly fd: number;
  private readonly chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;
  bytes = 0;

  /**
   * @param ascii the caller writes only ASCII (numbers, ids, ISO dates): copied as latin1, one byte
   *   per character, which is faster than UTF-8 encoding
   */
  constructor(
    readonly path: string,
    private readonly ascii = false,
  ) {
    this.fd = openSync(path, 'w');
  }

  /** Appends text (a few rows at a time); copied at once, so no long-lived strings pile up. */
  write(text: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    const worst = this.ascii ? text.length : 3 * text.length;
    if (this.used + worst > CHUNK_BYTES) {
      this.flush();
      if (worst > CHUNK_BYTES) {
        this.bytes += writeSync(this.fd, text);
        return;
      }
    }
    this.used += this.chunk.write(text, this.used, this.ascii ? 'latin1' : 'utf8');
  }

  flush(): void {
    let off = 0;
    while (off < this.used) off += writeSync(this.fd, this.chunk, off, this.used - off);
    this.bytes += this.used;
    this.used = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/** A CSV field, quoted only when it must be (RFC 4180). */
export function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * Formats `occurred_at` as ISO 8601 UTC (`2026-11-21T11:05:13Z`) from a local day index of the
 * window, a local minute of the day and a second, without a Date object per row.
 */
export class TimestampFormatter {
  /** UTC date prefixes ("YYYY-MM-DDT") for UTC days -1 .. days-1 relative to the window's first day. */
  private readonly prefixes: string[];
  private readonly hhmm: string[];
  private readonly ss: string[];

  /**
   * @param firstDayUtcMs midnight UTC of the calendar date of local day 0
   * @param offsetMinutes local time minus UTC, in minutes
   */
  constructor(
    firstDayUtcMs: number,
    days: number,
    private readonly offsetMinutes: number,
  ) {
    this.prefixes = [];
    for (let d = -1; d <= days; d++) {
      this.prefixes.push(new Date(firstDayUtcMs + d * 86_400_000).toISOString().slice(0, 11));
    }
    this.hhmm = Array.from({ length: 1440 }, (_, m) => `${pad2(Math.floor(m / 60))}:${pad2(m % 60)}:`);
    this.ss = Array.from({ length: 60 }, (_, s) => `${pad2(s)}Z`);
  }

  format(localDay: number, localMinute: number, second: number): string {
    const abs = localDay * 1440 + localMinute - this.offsetMinutes;
    const utcDay = Math.floor(abs / 1440);
    const minute = abs - utcDay * 1440;
    return `${this.prefixes[utcDay + 1] as string}${this.hhmm[minute] as string}${this.ss[second] as string}`;
  }
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}
