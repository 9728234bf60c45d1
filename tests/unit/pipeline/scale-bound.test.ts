import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildScoringMatrix } from '../../../src/core/scoring/matrix.ts';
import { DEFAULT_WEIGHT_SET, WeightSetSchema } from '../../../src/core/scoring/weight-set.ts';
import { overlapScaleBound } from '../../../src/modules/pipeline/shard-scoring.ts';

/** Every pair's raw overlap `Σ vals(u,m)·vals(v,m)`, the largest of them. */
function largestPair(m: ReturnType<typeof buildScoringMatrix>): number {
  let best = 0;
  for (let u = 0; u < m.userCount; u++) {
    const row = new Map<number, number>();
    for (let j = m.rowPtr[u]!; j < m.rowPtr[u + 1]!; j++) row.set(m.cols[j]!, m.vals[j]!);
    for (let v = u + 1; v < m.userCount; v++) {
      let dot = 0;
      for (let j = m.rowPtr[v]!; j < m.rowPtr[v + 1]!; j++) dot += (row.get(m.cols[j]!) ?? 0) * m.vals[j]!;
      best = Math.max(best, dot);
    }
  }
  return best;
}

describe('overlapScaleBound', () => {
  it('is never below the largest pair of the matrix, for every normalization', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            user: fc.integer({ min: 0, max: 11 }),
            merchant: fc.integer({ min: 0, max: 7 }),
            visits: fc.integer({ min: 1, max: 40 }),
          }),
          { maxLength: 80 },
        ),
        fc.constantFrom('sqrt', 'cosine', 'none'),
        (rows, normalization) => {
          const weights = WeightSetSchema.parse({
            ...DEFAULT_WEIGHT_SET,
            maxMerchantShare: 1,
            normalization,
          });
          const m = buildScoringMatrix(
            {
              userCount: 12,
              merchantCount: 8,
              user: Int32Array.from(rows, (r) => r.user),
              merchant: Int32Array.from(rows, (r) => r.merchant),
              visits: Int32Array.from(rows, (r) => r.visits),
              lastVisitDay: new Int32Array(rows.length).fill(29),
            },
            weights,
          );
          expect(overlapScaleBound(m)).toBeGreaterThanOrEqual(largestPair(m));
        },
      ),
      { numRuns: 300 },
    );
  });
});
