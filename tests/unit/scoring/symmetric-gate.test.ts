import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateCandidates, pairHeapsToPools, emptyStats } from '../../../src/core/scoring/candidates.ts';
import {
  createHeapGate,
  createPairHeaps,
  createSymmetricKernel,
  float32Below,
  type PairHeaps,
} from '../../../src/core/scoring/symmetric.ts';
import { planSymmetric } from '../../../src/core/scoring/symmetric-plan.ts';
import { WeightSetSchema } from '../../../src/core/scoring/weight-set.ts';
import { divisorOf, expectPoolsMatch, matrixOf, skewedPopulation } from './helpers.ts';
import { naiveTopK, type NaiveInput } from './naive-reference.ts';

/**
 * The symmetric kernel rejects offers below a gate shared by every heap set of a run and scans in
 * descending ids. Both are exact only if the gate never exceeds a user's final k-th score, ties
 * included: these populations have full heaps and, with integer-valued weights, many pairs tied
 * at the k-th score, where a gate even slightly too high drops a pair that wins on its smaller id.
 */

/** A skewed population: merchant m visited with probability about 1/(m+1). */
function population(users: number, seed: number): NaiveInput {
  return skewedPopulation({
    users,
    seed,
    merchants: 24,
    head: 0.9,
    floor: 0.05,
    maxVisits: 4,
    spreadDays: true,
  });
}

const weightsArb = fc.constantFrom(
  // score = number of shared merchants: ties everywhere
  { visitTransform: 'binary', idfExponent: 0, normalization: 'none', maxMerchantShare: 1 },
  { visitTransform: 'binary', idfExponent: 0, normalization: 'cosine', maxMerchantShare: 1 },
  { visitTransform: 'log1p', idfExponent: 1, normalization: 'cosine', maxMerchantShare: 1 },
  { visitTransform: 'linear', idfExponent: 2, normalization: 'sqrt', maxMerchantShare: 1 },
);

const caseArb = fc.record({
  users: fc.integer({ min: 20, max: 70 }),
  seed: fc.integer({ min: 1, max: 1 << 30 }),
  weights: weightsArb,
  k: fc.integer({ min: 1, max: 6 }),
  sets: fc.integer({ min: 1, max: 3 }),
  chunk: fc.integer({ min: 1, max: 9 }),
  heavy: fc.integer({ min: 0, max: 4 }),
  // partners per block of a scan: 1 (every partner its own block) up to more than the users
  blockUsers: fc.oneof(fc.integer({ min: 1, max: 9 }), fc.constant(1 << 16)),
});

/**
 * A full run on `sets` heap sets sharing one gate, as the threads of a parallel run use them:
 * chunks of `chunk` users in descending ids dealt round-robin, then the heavy-only pass, then the
 * merge.
 */
function runOnHeapSets(
  input: NaiveInput,
  w: object,
  {
    k,
    sets,
    chunk,
    heavy,
    blockUsers,
  }: { k: number; sets: number; chunk: number; heavy: number; blockUsers: number },
) {
  const matrix = matrixOf(input, WeightSetSchema.parse(w), 'user');
  const U = matrix.userCount;
  const gate = createHeapGate(U, k);
  const heaps: PairHeaps[] = Array.from({ length: sets }, () => createPairHeaps(U, k, { gate }));
  const plan = planSymmetric(matrix, { heavy });
  const kernel = createSymmetricKernel(matrix, {
    countShared: true,
    blockUsers,
    ...(plan.heavy > 0 && { plan }),
  });
  let c = 0;
  for (let end = U; end > 0; end -= chunk, c++) {
    for (let u = end - 1; u >= Math.max(0, end - chunk); u--) kernel.scan(u, heaps[c % sets]!);
  }
  if (plan.heavy > 0) for (let u = 0; u < U; u++) kernel.heavyOnly(u, heaps[u % sets]!);
  return pairHeapsToPools(heaps, emptyStats());
}

describe('symmetric kernel: shared rejection gate, descending scan order, partner blocks', () => {
  it('any number of heap sets sharing a gate, any block size: exactly the one-sided kernel pools, ties included', () => {
    fc.assert(
      fc.property(caseArb, ({ users, seed, weights, k, sets, chunk, heavy, blockUsers }) => {
        const input = population(users, seed);
        const w = WeightSetSchema.parse({ ...weights, recencyHalfLifeDays: 0, minSharedMerchants: 1 });
        const pools = runOnHeapSets(input, w, { k, sets, chunk, heavy, blockUsers });
        // the one-sided kernel breaks ties the same way (smaller id) and sums in the same order
        const oneSided = generateCandidates(matrixOf(input, w, 'value'), { k });
        expect(Array.from(pools.offsets)).toEqual(Array.from(oneSided.offsets));
        expect(Array.from(pools.candidates)).toEqual(Array.from(oneSided.candidates));
        expect(Array.from(pools.overlap)).toEqual(Array.from(oneSided.overlap));
        expect(Array.from(pools.shared)).toEqual(Array.from(oneSided.shared));
        expectPoolsMatch(pools, naiveTopK(input, w, k, 1), divisorOf(pools, w.normalization));
      }),
      { numRuns: 150 },
    );
  });

  it('without shared counts: the same pools, counts reported as 0', () => {
    fc.assert(
      fc.property(caseArb, ({ users, seed, weights, k, heavy }) => {
        const input = population(users, seed);
        const w = WeightSetSchema.parse({ ...weights, recencyHalfLifeDays: 0, minSharedMerchants: 1 });
        const m = matrixOf(input, w, 'user');
        const counted = generateCandidates(m, { k, heavyColumns: heavy });
        const bare = generateCandidates(m, { k, heavyColumns: heavy, countShared: false });
        expect(Array.from(bare.candidates)).toEqual(Array.from(counted.candidates));
        expect(Array.from(bare.overlap)).toEqual(Array.from(counted.overlap));
        expect(bare.shared.length).toBe(counted.shared.length);
        expect(bare.shared.every((x) => x === 0)).toBe(true);
        // a minimum of shared merchants needs the counts: they are kept whatever the option says
        const min2 = generateCandidates(m, { k, minSharedMerchants: 2, countShared: false });
        expect(min2.shared.every((x) => x >= 2)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});

describe('float32Below', () => {
  it('is a float32 at most x and within 2⁻²⁰ of it, for any positive double (subnormal, huge)', () => {
    const positive = fc.oneof(
      fc.double({ min: Number.MIN_VALUE, max: Number.MAX_VALUE, noNaN: true }),
      fc.double({ min: Number.MIN_VALUE, max: 1e-37, noNaN: true }),
      fc.double({ min: 1e-3, max: 1, noNaN: true }),
      fc.integer({ min: 1, max: 2 ** 24 }).map((n) => n / 2 ** 12),
    );
    fc.assert(
      fc.property(positive, (x) => {
        const g = float32Below(x);
        expect(Math.fround(g)).toBe(g);
        expect(g).toBeLessThanOrEqual(x);
        // close: within 2⁻²⁰ of x, or (outside the normal float32 range) the next float32 is above x
        const next = new Float32Array([g]);
        new Int32Array(next.buffer)[0]! += 1;
        expect(g >= x * (1 - 2 ** -19) || next[0]! > x).toBe(true);
      }),
      { numRuns: 20000 },
    );
    expect(float32Below(Number.MAX_VALUE)).toBe(3.4028234663852886e38);
    expect(float32Below(Number.MIN_VALUE)).toBe(0);
    expect(float32Below(0.5)).toBeLessThan(0.5);
    expect(float32Below(0.5)).toBeGreaterThan(0.5 * (1 - 2 ** -19));
  });
});
