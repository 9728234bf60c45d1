import type { CityUser } from '../../../src/modules/pipeline/pipeline.repository.ts';

/** One merchant a test user bought from, with the minutes of its visits. */
export type TestVisits = { merchant: number; minutes: number[] };

/**
 * A pairing-neutral city user (woman seeking men, 30, any age, unverified) with the given visits:
 * merchants ascending, minutes ascending within each merchant, one visit per minute.
 */
export function cityUserOf(
  visits: TestVisits[],
  options: { userId?: string; amountCents?: number } = {},
): CityUser {
  const sorted = [...visits].sort((a, b) => a.merchant - b.merchant);
  return {
    userId: options.userId ?? '1',
    city: 'c',
    shard: 0,
    gender: 'woman',
    seeking: ['man'],
    age: 30,
    ageMin: 18,
    ageMax: 99,
    verified: false,
    onlyVerified: false,
    merchants: sorted.map((v) => v.merchant),
    visits: sorted.map((v) => v.minutes.length),
    lastDays: sorted.map(() => 0),
    minutes: sorted.flatMap((v) => [...v.minutes].sort((a, b) => a - b)),
    amountCents: options.amountCents ?? 100,
    txnCount: 1,
  };
}
