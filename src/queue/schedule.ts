/**
 * Pure date helpers of the nightly schedule. BullMQ fires the scheduler on a UTC pattern; the
 * business date of a run is computed from the fire time in MATCH_TIMEZONE, never read from the
 * cron expression.
 */

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * One formatter per time zone: building an `Intl.DateTimeFormat` costs far more than using one,
 * and every card request computes its user's local midnight.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let fmt = formatters.get(timeZone);
  if (fmt === undefined) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, fmt);
  }
  return fmt;
}

function parts(at: Date, timeZone: string): Record<string, number> {
  const fmt = formatterOf(timeZone);
  const out: Record<string, number> = {};
  for (const p of fmt.formatToParts(at)) if (p.type !== 'literal') out[p.type] = Number(p.value);
  return out;
}

/** The calendar date (YYYY-MM-DD) of an instant in a time zone: the business date of a run. */
export function businessDate(at: Date, timeZone: string): string {
  const p = parts(at, timeZone);
  const pad = (n: number | undefined, w: number) => String(n ?? 0).padStart(w, '0');
  return `${pad(p['year'], 4)}-${pad(p['month'], 2)}-${pad(p['day'], 2)}`;
}

/** Local time minus UTC at an instant, in minutes (480 for Asia/Shanghai). */
export function zoneOffsetMinutes(at: Date, timeZone: string): number {
  const p = parts(at, timeZone);
  const local = Date.UTC(
    p['year'] ?? 0,
    (p['month'] ?? 1) - 1,
    p['day'] ?? 1,
    p['hour'] ?? 0,
    p['minute'] ?? 0,
    p['second'] ?? 0,
  );
  return Math.round((local - Math.floor(at.getTime() / 1000) * 1000) / 60_000);
}

/** Adds days to a business date (calendar arithmetic, no time zone involved). */
export function addDays(date: string, days: number): string {
  const m = DATE_RE.exec(date);
  if (m === null) throw new RangeError(`not a date: ${date}`);
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) + days * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}

/**
 * Local midnights already computed, by zone and date (epoch ms). Every card request asks for its
 * user's next midnight, which costs two `formatToParts`; the answers are few (one per zone and
 * day) and never change. Cleared whole when full, so it stays small however long the process runs.
 */
const midnights = new Map<string, number>();
const MIDNIGHTS_KEPT = 4096;

/** The instant a calendar date starts in a time zone (its local midnight). */
export function startOfDay(date: string, timeZone: string): Date {
  const key = `${timeZone} ${date}`;
  let at = midnights.get(key);
  if (at === undefined) {
    at = computeStartOfDay(date, timeZone).getTime();
    if (midnights.size >= MIDNIGHTS_KEPT) midnights.clear();
    midnights.set(key, at);
  }
  return new Date(at);
}

function computeStartOfDay(date: string, timeZone: string): Date {
  const m = DATE_RE.exec(date);
  if (m === null) throw new RangeError(`not a date: ${date}`);
  const utcMidnight = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  let guess = utcMidnight - zoneOffsetMinutes(new Date(utcMidnight), timeZone) * 60_000;
  // Offsets change (DST): check the guess with the offset in force at the guess itself.
  const again = utcMidnight - zoneOffsetMinutes(new Date(guess), timeZone) * 60_000;
  if (again !== guess) guess = again;
  return new Date(guess);
}

/**
 * The window of a run on business date D: the `windowDays` calendar days before D in the zone,
 * as the half-open instant range [start of D − windowDays, start of D).
 */
export function runWindow(date: string, windowDays: number, timeZone: string): { start: Date; end: Date } {
  return { start: startOfDay(addDays(date, -windowDays), timeZone), end: startOfDay(date, timeZone) };
}

const NUMBER_RE = /^\d+$/;

/**
 * Converts a daily cron `m h * * dow` read in `timeZone` into the UTC pattern BullMQ fires on,
 * with the zone's offset at `at` (a zone with daylight saving time is re-derived at each worker
 * start). Minute and hour must be single numbers; day of month and month `*`; day of week `*`
 * or a list of numbers, shifted with the day when the conversion crosses midnight.
 */
export function utcCronPattern(cron: string, timeZone: string, at: Date): string {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5) throw new RangeError(`NIGHTLY_CRON must have 5 fields: "${cron}"`);
  const [minute, hour, dom, month, dow] = fields as [string, string, string, string, string];
  if (!NUMBER_RE.test(minute) || !NUMBER_RE.test(hour) || Number(minute) > 59 || Number(hour) > 23) {
    throw new RangeError(`NIGHTLY_CRON minute and hour must be single numbers: "${cron}"`);
  }
  if (dom !== '*' || month !== '*') {
    throw new RangeError(`NIGHTLY_CRON day of month and month must be '*': "${cron}"`);
  }
  const local = Number(hour) * 60 + Number(minute);
  const utc = local - zoneOffsetMinutes(at, timeZone);
  const dayShift = Math.floor(utc / 1440);
  const inDay = utc - dayShift * 1440;
  let utcDow = '*';
  if (dow !== '*') {
    const days = dow.split(',');
    if (!days.every((d) => NUMBER_RE.test(d) && Number(d) <= 7)) {
      throw new RangeError(`NIGHTLY_CRON day of week must be '*' or a list of numbers: "${cron}"`);
    }
    utcDow = [...new Set(days.map((d) => ((((Number(d) % 7) + dayShift) % 7) + 7) % 7))]
      .sort((a, b) => a - b)
      .join(',');
  }
  return `${String(inDay % 60)} ${String(Math.floor(inDay / 60))} * * ${utcDow}`;
}
