import { ageInYearOf } from '../shared/calendar-date.ts';
import type { MerchantCategory } from '../scoring/weight-set.ts';

/** The shared-merchant buckets of design section 5, smallest first. */
export const SHARED_COUNT_BUCKETS = ['2', '3-4', '5+'] as const;
/** One of {@link SHARED_COUNT_BUCKETS}. */
export type SharedCountBucket = (typeof SHARED_COUNT_BUCKETS)[number];

/**
 * The bucket shown for `count` shared merchants: `"2"` for 1–2, `"3-4"` for 3–4, `"5+"` for 5 or
 * more. The first bucket also takes a count of 1 (possible when `minSharedMerchants` is 1) so that
 * no bucket singles out one merchant. Throws a RangeError below 1 or for a fraction: a pair with no
 * shared merchant is never a match.
 */
export function bucketSharedCount(count: number): SharedCountBucket {
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`shared merchant count must be an integer ≥ 1, got ${String(count)}`);
  }
  if (count <= 2) return '2';
  if (count <= 4) return '3-4';
  return '5+';
}

/**
 * The 5-year band of the age reached in the year of `date` (`ageInYearOf`):
 * `"${5⌊age/5⌋}-${5⌊age/5⌋ + 4}"`, e.g. 27 → `"25-29"`. Throws a RangeError for a negative age.
 */
export function ageBand(birthYear: number, date: string): string {
  const age = ageInYearOf(birthYear, date);
  if (age < 0) throw new RangeError(`born after ${date}`);
  const low = Math.floor(age / 5) * 5;
  return `${String(low)}-${String(low + 4)}`;
}

/**
 * The score shown on a card, an integer 0–100: `round(100 · s)` for a fraction s in [0, 1], or
 * `round(s)` for a percentage, clamped to [0, 100]. Throws a RangeError for a non-finite score.
 */
export function displayScore(score: number, scale: 'fraction' | 'percent'): number {
  if (!Number.isFinite(score)) throw new RangeError(`score must be finite, got ${String(score)}`);
  const percent = Math.round(scale === 'fraction' ? score * 100 : score);
  return Math.min(100, Math.max(0, percent)) + 0;
}

/** A shared category with its weight in the overlap (e.g. the sum of its merchants' contributions). */
export interface WeightedCategory {
  readonly category: MerchantCategory;
  readonly weight: number;
}

/** At most this many categories are shown. */
export const MAX_TOP_CATEGORIES = 3;

/**
 * The categories shown as reasons: weights of a repeated category are summed; categories whose
 * total is not positive are dropped; the rest sorted by weight descending, ties by name ascending;
 * the first {@link MAX_TOP_CATEGORIES} kept. Throws a RangeError on a non-finite weight.
 */
export function topSharedCategories(categories: readonly WeightedCategory[]): MerchantCategory[] {
  const totals = new Map<MerchantCategory, number>();
  for (const { category, weight } of categories) {
    if (!Number.isFinite(weight))
      throw new RangeError(`category weight must be finite, got ${String(weight)}`);
    totals.set(category, (totals.get(category) ?? 0) + weight);
  }
  return [...totals]
    .filter(([, weight]) => weight > 0)
    .sort(([c1, w1], [c2, w2]) => w2 - w1 || (c1 < c2 ? -1 : c1 > c2 ? 1 : 0))
    .slice(0, MAX_TOP_CATEGORIES)
    .map(([category]) => category);
}
