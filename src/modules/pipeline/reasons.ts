import { createHash } from 'node:crypto';
import { visitTransform } from '../../core/scoring/matrix.ts';
import {
  bucketSharedCount,
  topSharedCategories,
  type SharedCountBucket,
  type WeightedCategory,
} from '../../core/masking/index.ts';
import { MERCHANT_CATEGORIES, type MerchantCategory, type WeightSet } from '../../core/scoring/weight-set.ts';

const CATEGORIES = new Set<string>(MERCHANT_CATEGORIES);
const categoryOf = (c: string | undefined): MerchantCategory =>
  c !== undefined && CATEGORIES.has(c) ? (c as MerchantCategory) : 'other';
import type { RunMerchants } from './pipeline.repository.ts';

/** A user's merchants in a run: sorted merchant indices with visits and last visit day. */
export type MerchantList = {
  merchants: readonly number[];
  visits: readonly number[];
  lastDays: readonly number[];
};

/** Category-level reasons of a pair: what a card may say about the overlap, never a merchant. */
export type Reasons = { sharedBucket: SharedCountBucket; topCategories: MerchantCategory[] };

/**
 * The weight `w(u,m)` of design section 4 with the run's global idf (`N` users with a merchant,
 * `df` per merchant); 0 for a stop-merchant.
 */
export function merchantWeight(
  weights: WeightSet,
  merchants: RunMerchants,
  activeUsers: number,
  m: number,
  visits: number,
  lastDay: number,
): number {
  const df = merchants.df[m] ?? 0;
  if (df === 0 || activeUsers === 0 || df / activeUsers > weights.maxMerchantShare) return 0;
  const idf = Math.log(activeUsers / df);
  const cat = merchants.categories[m] ?? 'other';
  const catW = weights.categoryWeights[cat as keyof WeightSet['categoryWeights']] ?? 1;
  let w = visitTransform(weights.visitTransform, visits) * Math.pow(idf, weights.idfExponent) * catW;
  if (weights.recencyHalfLifeDays > 0) {
    w *= Math.pow(0.5, (weights.windowDays - 1 - lastDay) / weights.recencyHalfLifeDays);
  }
  return w;
}

/**
 * The reasons of a pair, by the masking core: the bucket of their shared non-stop merchants
 * (`bucketSharedCount`) and at most 3 categories ranked by the summed `w(u,m)·w(v,m)` of their
 * shared merchants (`topSharedCategories`: ties by category name).
 */
export function pairReasons(
  a: MerchantList,
  b: MerchantList,
  weights: WeightSet,
  merchants: RunMerchants,
  activeUsers: number,
  sharedCount: number,
): Reasons {
  const shared: WeightedCategory[] = [];
  let i = 0;
  let j = 0;
  while (i < a.merchants.length && j < b.merchants.length) {
    const x = a.merchants[i]!;
    const y = b.merchants[j]!;
    if (x < y) i++;
    else if (y < x) j++;
    else {
      const wa = merchantWeight(weights, merchants, activeUsers, x, a.visits[i]!, a.lastDays[i]!);
      const wb = merchantWeight(weights, merchants, activeUsers, x, b.visits[j]!, b.lastDays[j]!);
      if (wa * wb > 0) shared.push({ category: categoryOf(merchants.categories[x]), weight: wa * wb });
      i++;
      j++;
    }
  }
  return { sharedBucket: bucketSharedCount(sharedCount), topCategories: topSharedCategories(shared) };
}

/** A deterministic, opaque match id (a UUID-shaped hash): a retried publish rewrites the same rows. */
export function matchIdFor(runId: string, date: string, userA: string, userB: string): string {
  const h = createHash('sha256').update(`kindred.match|${runId}|${date}|${userA}|${userB}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x80; // version 8 (custom)
  h[8] = (h[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
