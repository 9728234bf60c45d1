import { createHash } from 'node:crypto';
import { visitTransform } from '../../core/scoring/matrix.ts';
import type { WeightSet } from '../../core/scoring/weight-set.ts';
import type { RunMerchants } from './pipeline.repository.ts';

/** A user's merchants in a run: sorted merchant indices with visits and last visit day. */
export type MerchantList = {
  merchants: readonly number[];
  visits: readonly number[];
  lastDays: readonly number[];
};

/** Category-level reasons of a pair: what a card may say about the overlap, never a merchant. */
export type Reasons = { sharedBucket: '2' | '3-4' | '5+'; topCategories: string[] };

/** Shared-merchant counts are bucketed (design section 6, rule 4); fewer than 2 shows as "2". */
export function sharedBucket(count: number): Reasons['sharedBucket'] {
  if (count >= 5) return '5+';
  if (count >= 3) return '3-4';
  return '2';
}

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
 * The reasons of a pair: the bucket of their shared non-stop merchants and at most 3 categories
 * ranked by the summed `w(u,m)·w(v,m)` of their shared merchants (ties by category name).
 */
export function pairReasons(
  a: MerchantList,
  b: MerchantList,
  weights: WeightSet,
  merchants: RunMerchants,
  activeUsers: number,
  sharedCount: number,
): Reasons {
  const byCategory = new Map<string, number>();
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
      if (wa * wb > 0) {
        const cat = merchants.categories[x] ?? 'other';
        byCategory.set(cat, (byCategory.get(cat) ?? 0) + wa * wb);
      }
      i++;
      j++;
    }
  }
  const topCategories = [...byCategory.entries()]
    .sort((p, q) => q[1] - p[1] || (p[0] < q[0] ? -1 : 1))
    .slice(0, 3)
    .map(([c]) => c);
  return { sharedBucket: sharedBucket(sharedCount), topCategories };
}

/** A deterministic, opaque match id (a UUID-shaped hash): a retried publish rewrites the same rows. */
export function matchIdFor(runId: string, date: string, userA: string, userB: string): string {
  const h = createHash('sha256').update(`kindred.match|${runId}|${date}|${userA}|${userB}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x80; // version 8 (custom)
  h[8] = (h[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

const ADJECTIVES = [
  'Amber',
  'Azure',
  'Bold',
  'Brave',
  'Bright',
  'Calm',
  'Clever',
  'Coral',
  'Cosmic',
  'Crimson',
  'Curious',
  'Gentle',
  'Golden',
  'Happy',
  'Hidden',
  'Jade',
  'Jolly',
  'Kind',
  'Lively',
  'Lucky',
  'Lunar',
  'Mellow',
  'Misty',
  'Noble',
  'Quiet',
  'Rapid',
  'Silver',
  'Solar',
  'Sunny',
  'Swift',
  'Velvet',
  'Witty',
];
const ANIMALS = [
  'Badger',
  'Crane',
  'Dolphin',
  'Falcon',
  'Fox',
  'Gecko',
  'Heron',
  'Ibis',
  'Koala',
  'Lark',
  'Lynx',
  'Magpie',
  'Marten',
  'Otter',
  'Owl',
  'Panda',
  'Puffin',
  'Quail',
  'Robin',
  'Seal',
  'Sparrow',
  'Swan',
  'Tiger',
  'Wren',
  'Yak',
  'Zebra',
  'Hare',
  'Finch',
  'Egret',
  'Bison',
  'Orca',
  'Moth',
];

/**
 * The alias under which `viewer` sees its counterpart in one match: a pseudonym fixed per match
 * and side, derived from the match id only (never from a name or an id the viewer could map).
 */
export function aliasFor(matchId: string, side: 'a' | 'b'): string {
  const h = createHash('sha256').update(`kindred.alias|${matchId}|${side}`).digest();
  return `${ADJECTIVES[h[0]! % ADJECTIVES.length]!} ${ANIMALS[h[1]! % ANIMALS.length]!} ${String(10 + (h[2]! % 90))}`;
}
