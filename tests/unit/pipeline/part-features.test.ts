import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFeatureAggregator, type PartFeature } from '../../../src/modules/pipeline/part-features.ts';

type Tx = { userId: number; merchantId: number; amount: number; minute: number };

/** The definition, as the part's SQL computed it: group by (user, merchant), then by user. */
function naive(rows: Tx[]): { features: PartFeature[]; df: Map<number, number> } {
  const users = [...new Set(rows.map((r) => r.userId))];
  const df = new Map<number, number>();
  const features = users.map((userId) => {
    const mine = rows.filter((r) => r.userId === userId);
    const merchants = [...new Set(mine.map((r) => r.merchantId))].sort((a, b) => a - b);
    for (const m of merchants) df.set(m, (df.get(m) ?? 0) + 1);
    const at = (m: number) =>
      mine
        .filter((r) => r.merchantId === m)
        .map((r) => r.minute)
        .sort((a, b) => a - b);
    return {
      userId,
      merchantIds: merchants,
      visits: merchants.map((m) => at(m).length),
      lastDays: merchants.map((m) => Math.floor(Math.max(...at(m)) / 1440)),
      minutes: merchants.flatMap(at),
      amountCents: mine.reduce((s, r) => s + r.amount, 0),
      txnCount: mine.length,
    };
  });
  return { features, df };
}

const tx = (userId: number) =>
  fc.record({
    userId: fc.constant(userId),
    merchantId: fc.integer({ min: 1, max: 12 }),
    amount: fc.integer({ min: 1, max: 10 ** 9 }),
    minute: fc.integer({ min: 0, max: 43_199 }),
  });

/** Users in any order, each one's rows together in any order (as a stream in user order gives them). */
const part = fc
  .uniqueArray(fc.integer({ min: 1, max: 2 ** 40 }), { maxLength: 12 })
  .chain((ids) => fc.tuple(...ids.map((id) => fc.array(tx(id), { minLength: 1, maxLength: 40 }))))
  .map((groups) => groups.flat());

/** The aggregator's rows and df for `rows`, against the definition's. */
function expectDefinition(rows: Tx[]): void {
  const got: PartFeature[] = [];
  const aggregator = createFeatureAggregator((row) => got.push(row));
  for (const r of rows) aggregator.add(r.userId, r.merchantId, r.amount, r.minute);
  const df = aggregator.finish();
  const want = naive(rows);
  expect(got).toEqual(want.features);
  expect(df).toEqual(want.df);
}

describe('createFeatureAggregator', () => {
  it("gives every user the SQL aggregation's row and every merchant its df", () => {
    fc.assert(
      fc.property(part, (rows) => expectDefinition(rows)),
      { numRuns: 300 },
    );
  });

  it('gives the same rows for ids and minutes beyond the packed sort key', () => {
    fc.assert(
      fc.property(part, fc.integer({ min: 0, max: 3 }), (rows, shift) => {
        // merchant ids past 2^30 and minutes past 2^23 (a window of more than 5,825 days) in some users
        const wide = rows.map((r) =>
          r.userId % 2 === 0
            ? { ...r, merchantId: r.merchantId + shift * 2 ** 30, minute: r.minute * 300 }
            : r,
        );
        expectDefinition(wide);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a user whose rows come apart', () => {
    const aggregator = createFeatureAggregator(() => undefined);
    aggregator.add(1, 5, 100, 0);
    aggregator.add(2, 5, 100, 0);
    expect(() => aggregator.add(1, 6, 100, 10)).toThrow(/came apart/);
  });

  it('grows past any number of rows for one user', () => {
    const got: PartFeature[] = [];
    const aggregator = createFeatureAggregator((row) => got.push(row));
    for (let i = 0; i < 1_000; i++) aggregator.add(7, 1 + (i % 3), 1, 1_000 - i);
    aggregator.finish();
    expect(got[0]?.visits).toEqual([334, 333, 333]);
    expect(got[0]?.txnCount).toBe(1_000);
    expect(got[0]?.minutes.slice(0, 3)).toEqual([1, 4, 7]);
  });
});
