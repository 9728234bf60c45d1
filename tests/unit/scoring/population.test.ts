import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildScoringMatrix, type VisitColumns } from '../../../src/core/scoring/matrix.ts';
import { DEFAULT_WEIGHT_SET, WeightSetSchema } from '../../../src/core/scoring/weight-set.ts';

/**
 * A city scored alone keeps the run's idf: the matrix of a subset of users built with the whole
 * population's N and df has, for each of those users, exactly the row (columns, weights, norm) of
 * the whole matrix, and the same stop-merchants.
 */
const caseArb = fc
  .record({ users: fc.integer({ min: 1, max: 30 }), merchants: fc.integer({ min: 1, max: 12 }) })
  .chain(({ users, merchants }) =>
    fc.record({
      users: fc.constant(users),
      merchants: fc.constant(merchants),
      rows: fc.array(
        fc.record({
          user: fc.integer({ min: 0, max: users - 1 }),
          merchant: fc.integer({ min: 0, max: merchants - 1 }),
          visits: fc.integer({ min: 1, max: 9 }),
          lastVisitDay: fc.integer({ min: 0, max: 29 }),
        }),
        { maxLength: 120 },
      ),
      subset: fc.array(fc.boolean(), { minLength: users, maxLength: users }),
      maxMerchantShare: fc.constantFrom(1, 0.5, 0.2),
      recencyHalfLifeDays: fc.constantFrom(0, 7),
      normalization: fc.constantFrom('sqrt', 'cosine', 'none'),
    }),
  );

function columnsOf(
  rows: readonly { user: number; merchant: number; visits: number; lastVisitDay: number }[],
  users: number,
  merchants: number,
): VisitColumns {
  return {
    userCount: users,
    merchantCount: merchants,
    user: Int32Array.from(rows, (r) => r.user),
    merchant: Int32Array.from(rows, (r) => r.merchant),
    visits: Int32Array.from(rows, (r) => r.visits),
    lastVisitDay: Int32Array.from(rows, (r) => r.lastVisitDay),
  };
}

describe('a matrix built with the run’s idf population', () => {
  it('gives a subset of users exactly their rows of the whole matrix', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const weights = WeightSetSchema.parse({
          ...DEFAULT_WEIGHT_SET,
          maxMerchantShare: c.maxMerchantShare,
          recencyHalfLifeDays: c.recencyHalfLifeDays,
          normalization: c.normalization,
        });
        const whole = buildScoringMatrix(columnsOf(c.rows, c.users, c.merchants), weights);
        const picked = c.subset.flatMap((keep, u) => (keep ? [u] : []));
        const local = new Map(picked.map((u, i) => [u, i]));
        const partRows = c.rows.flatMap((r) => {
          const i = local.get(r.user);
          return i === undefined ? [] : [{ ...r, user: i }];
        });
        const part = buildScoringMatrix(columnsOf(partRows, picked.length, c.merchants), weights, {
          population: { activeUsers: whole.activeUsers, df: whole.df },
          postingOrder: 'user',
        });
        expect(part.activeUsers).toBe(whole.activeUsers);
        expect(Array.from(part.stop)).toEqual(Array.from(whole.stop));
        picked.forEach((u, i) => {
          const span = (m: typeof whole, x: number) => [m.rowPtr[x]!, m.rowPtr[x + 1]!] as const;
          const [ws, we] = span(whole, u);
          const [ps, pe] = span(part, i);
          expect(Array.from(part.cols.subarray(ps, pe))).toEqual(Array.from(whole.cols.subarray(ws, we)));
          expect(Array.from(part.vals.subarray(ps, pe))).toEqual(Array.from(whole.vals.subarray(ws, we)));
          expect(part.weightNorm[i]).toBe(whole.weightNorm[u]);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('differs from a matrix with the subset’s own idf when the subset is not the whole', () => {
    // 4 users: merchant 0 visited by all, merchant 1 only by users 0 and 1.
    const rows = [0, 1, 2, 3].flatMap((u) => [
      { user: u, merchant: 0, visits: 1, lastVisitDay: 29 },
      ...(u < 2 ? [{ user: u, merchant: 1, visits: 1, lastVisitDay: 29 }] : []),
    ]);
    const weights = WeightSetSchema.parse({
      ...DEFAULT_WEIGHT_SET,
      maxMerchantShare: 1,
      normalization: 'none',
    });
    const whole = buildScoringMatrix(columnsOf(rows, 4, 2), weights);
    const partRows = rows.filter((r) => r.user < 2);
    const own = buildScoringMatrix(columnsOf(partRows, 2, 2), weights);
    const run = buildScoringMatrix(columnsOf(partRows, 2, 2), weights, {
      population: { activeUsers: whole.activeUsers, df: whole.df },
    });
    // own idf of merchant 1 among users 0 and 1: ln(2/2) = 0; the run's: ln(4/2)
    expect(own.rowPtr[1]! - own.rowPtr[0]!).toBe(0);
    expect(run.vals[run.rowPtr[0]!]).toBeCloseTo(Math.log1p(1) * Math.log(2), 12);
  });

  it('rejects a population whose df does not cover every merchant', () => {
    expect(() =>
      buildScoringMatrix(columnsOf([], 1, 3), DEFAULT_WEIGHT_SET, {
        population: { activeUsers: 1, df: new Int32Array(2) },
      }),
    ).toThrow(RangeError);
  });
});
