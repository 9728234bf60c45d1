import { z } from 'zod';

/**
 * A calendar date `YYYY-MM-DD` that exists in the proleptic Gregorian calendar (so `2026-02-30`
 * is refused). Business dates and match dates are plain dates, never instants.
 */
export const CalendarDateSchema = z.iso.date();

/**
 * The age a person born in `birthYear` reaches during the calendar year of `date`:
 * `year(date) − birthYear`. Profiles hold a birth year only, so this is the one age rule shared by
 * pairing (age ranges) and masking (age bands); it never depends on a clock.
 */
export function ageInYearOf(birthYear: number, date: string): number {
  const parsed = CalendarDateSchema.safeParse(date);
  if (!parsed.success) throw new RangeError(`not a calendar date: ${JSON.stringify(date)}`);
  if (!Number.isInteger(birthYear)) throw new RangeError('birth year must be an integer');
  return Number(parsed.data.slice(0, 4)) - birthYear;
}
