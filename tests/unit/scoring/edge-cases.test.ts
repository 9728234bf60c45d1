import { describe, expect, it } from 'vitest';
import { generateCandidates } from '../../../src/core/scoring/candidates.ts';
import type { PostingOrder } from '../../../src/core/scoring/matrix.ts';
import { WeightSetSchema } from '../../../src/core/scoring/weight-set.ts';
import { divisorOf, expectPoolsMatch, matrixOf } from './helpers.ts';
import { naiveTopK, type NaiveInput, type NaiveRow } from './naive-reference.ts';

const exact = WeightSetSchema.parse({ maxMerchantShare: 1, normalization: 'cosine', minSharedMerchants: 1 });
const row = (user: number, merchant: number, visits = 1, lastVisitDay = 29): NaiveRow => ({
  user,
  merchant,
  visits,
  lastVisitDay,
});

function pools(input: NaiveInput, w = exact, k = 5, order: PostingOrder = 'value', minShared = 1) {
  return generateCandidates(matrixOf(input, w, order), {
    k,
    minSharedMerchants: minShared,
    ...(order === 'value' && { users: Int32Array.from({ length: input.userCount }, (_, i) => i) }),
  });
}

function listOf(p: ReturnType<typeof pools>, u: number): number[] {
  return Array.from(p.candidates.subarray(p.offsets[u], p.offsets[u + 1]));
}

describe.each<PostingOrder>(['value', 'user'])('edge cases (posting lists by %s)', (order) => {
  it('empty input gives empty pools', () => {
    const p = pools({ userCount: 0, merchantCount: 0, rows: [] }, exact, 5, order);
    expect(p.candidates.length).toBe(0);
    expect(p.offsets.length).toBe(1);
  });

  it('a user with one merchant is paired with everyone else there', () => {
    const input: NaiveInput = {
      userCount: 4,
      merchantCount: 3,
      rows: [row(0, 0), row(1, 0), row(1, 1), row(2, 1), row(3, 2), row(2, 2)],
    };
    const p = pools(input, exact, 5, order);
    expect(listOf(p, 0)).toEqual([1]);
    expectPoolsMatch(p, naiveTopK(input, exact, 5), 1);
  });

  it('everyone at one merchant: idf 0 removes it; with idf exponent 0 all tie, smaller id first', () => {
    const input: NaiveInput = { userCount: 5, merchantCount: 1, rows: [0, 1, 2, 3, 4].map((u) => row(u, 0)) };
    expect(pools(input, exact, 3, order).candidates.length).toBe(0);
    const flat = WeightSetSchema.parse({ ...exact, idfExponent: 0 });
    const p = pools(input, flat, 3, order);
    expect(listOf(p, 0)).toEqual([1, 2, 3]);
    expect(listOf(p, 4)).toEqual([0, 1, 2]);
    expect(listOf(p, 2)).toEqual([0, 1, 3]);
  });

  it('all stop-merchants: no candidates', () => {
    const input: NaiveInput = {
      userCount: 4,
      merchantCount: 2,
      rows: [row(0, 0), row(1, 0), row(2, 1), row(3, 1), row(0, 1)],
    };
    const w = WeightSetSchema.parse({ ...exact, maxMerchantShare: 0.2 });
    expect(pools(input, w, 5, order).candidates.length).toBe(0);
  });

  it('zero weights (category weight 0, zero visits) drop merchants', () => {
    const input: NaiveInput = {
      userCount: 3,
      merchantCount: 3,
      rows: [row(0, 0), row(1, 0), row(1, 1, 0), row(2, 1, 3), row(2, 2), row(0, 2)],
      categories: [0, 1, 2],
    };
    const w = WeightSetSchema.parse({ ...exact, categoryWeights: { grocery: 0 } });
    const p = pools(input, w, 5, order);
    expect(listOf(p, 0)).toEqual([2]);
    expect(listOf(p, 1)).toEqual([]);
    expectPoolsMatch(p, naiveTopK(input, w, 5), 1);
  });

  it('duplicate rows add their weights', () => {
    const dup: NaiveInput = {
      userCount: 3,
      merchantCount: 2,
      rows: [row(0, 0, 2), row(0, 0, 3), row(1, 0), row(2, 1), row(1, 1)],
    };
    const p = pools(dup, exact, 5, order);
    expectPoolsMatch(p, naiveTopK(dup, exact, 5), 1);
  });

  it('users with fewer than k neighbours get fewer; k larger than the population', () => {
    const input: NaiveInput = {
      userCount: 3,
      merchantCount: 2,
      rows: [row(0, 0), row(1, 0), row(2, 1), row(0, 1)],
    };
    const p = pools(input, exact, 50, order);
    expect(listOf(p, 1)).toEqual([0]);
    expect(listOf(p, 0)).toHaveLength(2);
    expectPoolsMatch(p, naiveTopK(input, exact, 50), 1);
  });

  it('equal scores are ordered by the smaller candidate index', () => {
    // users 1..4 identical, each sharing merchant 0 with user 0
    const input: NaiveInput = {
      userCount: 6,
      merchantCount: 3,
      rows: [row(0, 0), row(4, 0), row(2, 0), row(3, 0), row(1, 0), row(5, 1), row(5, 2), row(1, 1)],
    };
    const p = pools(input, exact, 2, order);
    expect(listOf(p, 0)).toEqual([2, 3]);
    expect(p.overlap[p.offsets[0]!]).toBe(p.overlap[p.offsets[0]! + 1]);
  });

  it('minSharedMerchants drops pairs sharing fewer merchants', () => {
    // merchant 0 is not universal (a universal merchant has idf 0 and is never shared)
    const input: NaiveInput = {
      userCount: 4,
      merchantCount: 4,
      rows: [
        row(0, 0),
        row(0, 1),
        row(1, 0),
        row(1, 1),
        row(1, 2),
        row(2, 0),
        row(2, 3),
        row(3, 3),
        row(3, 2),
      ],
    };
    const p = pools(input, exact, 5, order, 2);
    expect(listOf(p, 0)).toEqual([1]);
    expect(listOf(p, 2)).toEqual([]);
    expect(p.shared[p.offsets[0]!]).toBe(2);
  });

  it('sqrt and none are scaled by the run maximum', () => {
    const input: NaiveInput = {
      userCount: 4,
      merchantCount: 3,
      rows: [row(0, 0, 5), row(1, 0, 2), row(1, 1), row(2, 1, 4), row(3, 2), row(2, 2), row(0, 2)],
    };
    for (const normalization of ['sqrt', 'none'] as const) {
      const w = WeightSetSchema.parse({ ...exact, normalization });
      const p = pools(input, w, 5, order);
      expectPoolsMatch(p, naiveTopK(input, w, 5), divisorOf(p, normalization));
    }
  });
});

describe('input validation', () => {
  it('rejects out-of-range indices', () => {
    expect(() => matrixOf({ userCount: 1, merchantCount: 1, rows: [row(1, 0)] }, exact)).toThrow(RangeError);
  });
});
