import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FULL_PRUNING, generateCandidates } from '../../../src/core/scoring/candidates.ts';
import type { Eligibility } from '../../../src/core/scoring/eligibility.ts';
import {
  MERCHANT_CATEGORIES,
  WeightSetSchema,
  type WeightSet,
} from '../../../src/core/scoring/weight-set.ts';
import { divisorOf, expectPoolsMatch, matrixOf, skewedPopulation } from './helpers.ts';
import { naiveTopK, type NaiveEligibility, type NaiveInput } from './naive-reference.ts';

const inputArb = fc
  .record({
    userCount: fc.integer({ min: 0, max: 14 }),
    merchantCount: fc.integer({ min: 1, max: 9 }),
  })
  .chain(({ userCount, merchantCount }) =>
    fc.record({
      userCount: fc.constant(userCount),
      merchantCount: fc.constant(merchantCount),
      rows:
        userCount === 0
          ? fc.constant([])
          : fc.array(
              fc.record({
                user: fc.integer({ min: 0, max: userCount - 1 }),
                merchant: fc.integer({ min: 0, max: merchantCount - 1 }),
                visits: fc.integer({ min: 0, max: 6 }),
                lastVisitDay: fc.integer({ min: 0, max: 29 }),
              }),
              { maxLength: 70 },
            ),
      categories: fc.option(
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: merchantCount, maxLength: merchantCount }),
        { nil: undefined },
      ),
    }),
  );

const weightsArb = fc.record({
  windowDays: fc.constant(30),
  visitTransform: fc.constantFrom('log1p', 'binary', 'linear'),
  idfExponent: fc.constantFrom(0, 0.5, 1, 2, 3),
  recencyHalfLifeDays: fc.constantFrom(0, 0, 3, 14.5),
  maxMerchantShare: fc.constantFrom(1, 1, 0.6, 0.3, 0.05),
  categoryWeights: fc.record(
    {
      [MERCHANT_CATEGORIES[0]]: fc.constantFrom(0, 0.5, 2, 5),
      [MERCHANT_CATEGORIES[1]]: fc.constantFrom(0, 1, 3),
    },
    { requiredKeys: [] },
  ),
  normalization: fc.constantFrom('sqrt', 'cosine', 'none'),
});

const caseArb = fc.record({
  input: inputArb,
  weights: weightsArb,
  k: fc.integer({ min: 1, max: 16 }),
  minShared: fc.constantFrom(1, 1, 2, 3),
  groups: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
  seed: fc.integer({ min: 0, max: 1000 }),
});

function eligibilityFor(userCount: number, groups: number | undefined, seed: number) {
  if (groups === undefined) return undefined;
  const group = Array.from({ length: userCount }, (_, u) => (u * 7 + seed) % groups);
  const mayPair = Array.from({ length: groups * groups }, (_, i) => ((i * 5 + seed) % 3 === 0 ? 0 : 1));
  // symmetric half of the time, so both kernels meet filters
  if (seed % 2 === 0) {
    for (let a = 0; a < groups; a++)
      for (let b = 0; b < a; b++) mayPair[a * groups + b] = mayPair[b * groups + a]!;
  }
  const naive: NaiveEligibility = { group, groupCount: groups, mayPair };
  const core: Eligibility = {
    group: Int32Array.from(group),
    groupCount: groups,
    mayPair: Uint8Array.from(mayPair),
  };
  return { naive, core };
}

function weightSet(w: object): WeightSet {
  return WeightSetSchema.parse({ ...w, minSharedMerchants: 1 });
}

describe('exact candidate generation equals the naive reference', () => {
  it('pruned kernel (lists by value), every weight-set variation', () => {
    fc.assert(
      fc.property(caseArb, ({ input, weights, k, minShared, groups, seed }) => {
        const w = weightSet(weights);
        const e = eligibilityFor(input.userCount, groups, seed);
        const naive = naiveTopK(input as NaiveInput, w, k, minShared, e?.naive);
        const m = matrixOf(input as NaiveInput, w, 'value');
        const pools = generateCandidates(m, {
          k,
          minSharedMerchants: minShared,
          ...(e && { eligibility: e.core }),
          users: Int32Array.from({ length: input.userCount }, (_, i) => i),
        });
        expectPoolsMatch(pools, naive, divisorOf(pools, w.normalization));
      }),
      { numRuns: 400 },
    );
  });

  it('symmetric full-run kernel (lists by user), any number of heavy columns, any block size', () => {
    fc.assert(
      fc.property(
        caseArb,
        fc.option(fc.integer({ min: 0, max: 10 }), { nil: undefined }),
        fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
        (c, heavy, blockUsers) => {
          const { input, weights, k, minShared, groups, seed } = c;
          const w = weightSet(weights);
          const e = eligibilityFor(input.userCount, groups, seed);
          const naive = naiveTopK(input as NaiveInput, w, k, minShared, e?.naive);
          const m = matrixOf(input as NaiveInput, w, 'user');
          const pools = generateCandidates(m, {
            k,
            minSharedMerchants: minShared,
            ...(e && { eligibility: e.core }),
            ...(heavy !== undefined && { heavyColumns: heavy }),
            ...(blockUsers !== undefined && { blockUsers }),
          });
          expectPoolsMatch(pools, naive, divisorOf(pools, w.normalization));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('every pruning bound on or off gives the same pools', () => {
    const variants = [
      { ...FULL_PRUNING, refresh: 'always' as const },
      { ...FULL_PRUNING, refresh: 'always' as const, norm: false },
      { ...FULL_PRUNING, refresh: 'always' as const, listMax: false },
      { ...FULL_PRUNING, cut: false },
      { ...FULL_PRUNING, listMax: false },
      { ...FULL_PRUNING, norm: false },
      { ...FULL_PRUNING, earlyVerify: false },
    ];
    fc.assert(
      fc.property(
        caseArb,
        fc.integer({ min: 0, max: 6 }),
        ({ input, weights, k, minShared, groups, seed }, vi) => {
          const w = weightSet(weights);
          const e = eligibilityFor(input.userCount, groups, seed);
          const naive = naiveTopK(input as NaiveInput, w, k, minShared, e?.naive);
          const m = matrixOf(input as NaiveInput, w, 'value');
          const pools = generateCandidates(m, {
            k,
            minSharedMerchants: minShared,
            pruning: variants[vi]!,
            ...(e && { eligibility: e.core }),
          });
          expectPoolsMatch(pools, naive, divisorOf(pools, w.normalization));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('larger populations with skewed merchants (cuts and early verification at work)', () => {
    const bigArb = fc.record({
      users: fc.integer({ min: 30, max: 90 }),
      seed: fc.integer({ min: 1, max: 1 << 30 }),
      weights: weightsArb,
      k: fc.integer({ min: 1, max: 6 }),
      minShared: fc.constantFrom(1, 2),
    });
    let cuts = 0;
    let total = 0;
    fc.assert(
      fc.property(bigArb, ({ users, seed, weights, k, minShared }) => {
        // merchant m visited with probability ~ 1/(m+1)
        const input = skewedPopulation({
          users,
          seed,
          merchants: 25,
          head: 0.9,
          floor: 0.03,
          maxVisits: 5,
          spreadDays: true,
        });
        const w = weightSet(weights);
        const naive = naiveTopK(input, w, k, minShared);
        const m = matrixOf(input, w, 'value');
        for (const pruning of [FULL_PRUNING, { ...FULL_PRUNING, refresh: 'always' as const }]) {
          const pools = generateCandidates(m, { k, minSharedMerchants: minShared, pruning });
          cuts += pools.stats.postingsTotal - pools.stats.postingsScanned;
          total += pools.stats.postingsTotal;
          expectPoolsMatch(pools, naive, divisorOf(pools, w.normalization));
        }
      }),
      { numRuns: 30 },
    );
    // the bounds do cut on such data
    expect(cuts / total).toBeGreaterThan(0.05);
  });

  it('a shard equals the matching slice of a full run', () => {
    fc.assert(
      fc.property(caseArb, fc.integer({ min: 0, max: 1000 }), ({ input, weights, k }, pick) => {
        const w = weightSet(weights);
        const full = generateCandidates(matrixOf(input as NaiveInput, w, 'user'), { k });
        const m = matrixOf(input as NaiveInput, w, 'value');
        const users = Int32Array.from(
          Array.from({ length: input.userCount }, (_, i) => i).filter((u) => (u * 31 + pick) % 3 !== 0),
        );
        const shard = generateCandidates(m, { k, users });
        users.forEach((u, i) => {
          const a = Array.from(shard.candidates.subarray(shard.offsets[i], shard.offsets[i + 1]));
          const b = Array.from(full.candidates.subarray(full.offsets[u], full.offsets[u + 1]));
          expect(a).toEqual(b);
          const sa = Array.from(shard.overlap.subarray(shard.offsets[i], shard.offsets[i + 1]));
          const sb = Array.from(full.overlap.subarray(full.offsets[u], full.offsets[u + 1]));
          expect(sa).toEqual(sb);
        });
      }),
      { numRuns: 200 },
    );
  });
});
