import { describe, expect, it } from 'vitest';
import { generateCandidates, type CandidatePools } from '../../../src/core/scoring/candidates.ts';
import { WeightSetSchema } from '../../../src/core/scoring/weight-set.ts';
import { chooseHeavyColumns } from '../../../src/core/scoring/symmetric-plan.ts';
import { computeCandidates } from '../../../src/scoring/parallel.ts';
import { matrixOf, skewedPopulation } from './helpers.ts';
import type { NaiveInput } from './naive-reference.ts';

function population(users: number, seed: number): NaiveInput {
  return skewedPopulation({
    users,
    seed,
    merchants: 60,
    head: 0.6,
    floor: 0.02,
    maxVisits: 4,
    spreadDays: false,
  });
}

function same(a: CandidatePools, b: CandidatePools): void {
  expect(Array.from(a.offsets)).toEqual(Array.from(b.offsets));
  expect(Array.from(a.candidates)).toEqual(Array.from(b.candidates));
  expect(Array.from(a.overlap)).toEqual(Array.from(b.overlap));
  expect(Array.from(a.shared)).toEqual(Array.from(b.shared));
  expect(a.maxOverlap).toBe(b.maxOverlap);
}

describe('worker-thread runner', () => {
  const input = population(300, 7);
  const w = WeightSetSchema.parse({ maxMerchantShare: 1, normalization: 'sqrt' });

  it('symmetric full run on 2 threads equals one thread', async () => {
    const m = matrixOf(input, w, 'user');
    const one = generateCandidates(m, { k: 20 });
    const two = await computeCandidates(m, { k: 20, threads: 2, chunkSize: 64 });
    same(two, one);
  });

  it('heavy columns by lookup: the same pools, bit for bit, as the plain scan, on 1 and 2 threads', async () => {
    const skewed = population(400, 11);
    for (const minSharedMerchants of [1, 2]) {
      const m = matrixOf(skewed, w, 'user');
      // every column holds ≥ 2 % of the users: the default plan reads the first 32 by lookup
      expect(chooseHeavyColumns(m)).toBe(32);
      const plain = generateCandidates(m, { k: 15, minSharedMerchants, heavyColumns: 0 });
      for (const heavyColumns of [undefined, 1, 5, 60]) {
        const opts = { k: 15, minSharedMerchants, ...(heavyColumns !== undefined && { heavyColumns }) };
        same(generateCandidates(m, opts), plain);
        same(await computeCandidates(m, { ...opts, threads: 2, chunkSize: 37 }), plain);
      }
    }
  });

  it('pruned run on 2 threads equals one thread, and a shard equals its slice', async () => {
    const m = matrixOf(input, w, 'value');
    const users = Int32Array.from({ length: input.userCount }, (_, i) => i);
    const one = generateCandidates(m, { k: 20, users, minSharedMerchants: 2 });
    const two = await computeCandidates(m, {
      k: 20,
      users,
      minSharedMerchants: 2,
      threads: 2,
      chunkSize: 50,
    });
    same(two, one);
    const shard = Int32Array.from({ length: 100 }, (_, i) => 150 + i);
    const part = await computeCandidates(m, {
      k: 20,
      users: shard,
      minSharedMerchants: 2,
      threads: 2,
      chunkSize: 30,
    });
    const from = one.offsets[150]!;
    const to = one.offsets[250]!;
    expect(Array.from(part.candidates)).toEqual(Array.from(one.candidates.subarray(from, to)));
    expect(Array.from(part.overlap)).toEqual(Array.from(one.overlap.subarray(from, to)));
  });
});
