import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pairOverlap } from '../../../src/core/evaluation/pair-overlap.ts';
import { generateCandidates } from '../../../src/core/scoring/candidates.ts';
import { buildScoringMatrix } from '../../../src/core/scoring/matrix.ts';
import { WeightSetSchema } from '../../../src/core/scoring/weight-set.ts';

const population = fc.record({
  userCount: fc.integer({ min: 2, max: 25 }),
  merchantCount: fc.integer({ min: 1, max: 15 }),
  rows: fc.array(
    fc.record({
      u: fc.nat(),
      m: fc.nat(),
      visits: fc.integer({ min: 1, max: 6 }),
      day: fc.integer({ min: 0, max: 29 }),
    }),
    { minLength: 1, maxLength: 120 },
  ),
  normalization: fc.constantFrom('sqrt', 'cosine', 'none'),
  visitTransform: fc.constantFrom('log1p', 'binary', 'linear'),
  maxMerchantShare: fc.constantFrom(0.3, 1),
  recencyHalfLifeDays: fc.constantFrom(0, 7),
});

describe('pairOverlap', () => {
  it('gives every pool pair the bits of the candidate kernel, and 0 to pairs it leaves out', () => {
    fc.assert(
      fc.property(population, (p) => {
        const weights = WeightSetSchema.parse({
          normalization: p.normalization,
          visitTransform: p.visitTransform,
          maxMerchantShare: p.maxMerchantShare,
          recencyHalfLifeDays: p.recencyHalfLifeDays,
        });
        const rows = p.rows.map((r) => ({ ...r, u: r.u % p.userCount, m: r.m % p.merchantCount }));
        const matrix = buildScoringMatrix(
          {
            userCount: p.userCount,
            merchantCount: p.merchantCount,
            user: Int32Array.from(rows, (r) => r.u),
            merchant: Int32Array.from(rows, (r) => r.m),
            visits: Int32Array.from(rows, (r) => r.visits),
            lastVisitDay: Int32Array.from(rows, (r) => r.day),
          },
          weights,
        );
        const pools = generateCandidates(matrix, { k: p.userCount, minSharedMerchants: 1 });
        const inPool = new Set<number>();
        for (let i = 0; i < pools.users.length; i++) {
          const u = pools.users[i]!;
          for (let j = pools.offsets[i]!; j < pools.offsets[i + 1]!; j++) {
            const v = pools.candidates[j]!;
            inPool.add(u * p.userCount + v);
            expect(pairOverlap(matrix, u, v)).toEqual({ overlap: pools.overlap[j], shared: pools.shared[j] });
          }
        }
        for (let u = 0; u < p.userCount; u++) {
          for (let v = 0; v < p.userCount; v++) {
            const both = pairOverlap(matrix, u, v);
            expect(pairOverlap(matrix, v, u)).toEqual(both);
            if (u !== v && !inPool.has(u * p.userCount + v)) expect(both.overlap).toBe(0);
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});
