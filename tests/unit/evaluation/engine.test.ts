import { describe, expect, it } from 'vitest';
import { WeightSetSchema } from '../../../src/core/scoring/index.ts';
import { buildDataset } from '../../../src/evaluation/dataset.ts';
import { measure, prepareMatrix } from '../../../src/evaluation/engine.ts';
import type { PairRows } from '../../../src/evaluation/inputs.ts';
import { toDense } from '../../../src/scoring/tsv.ts';

/**
 * Four users: 1 and 2 visit {10, 11}, 3 visits {11, 12}, 4 visits {12}. With binary visits, idf
 * exponent 0, no stop merchants and cosine, overlap = |shared| / √(|A|·|B|):
 * (1,2) = 1, (1,3) = (2,3) = ½, (3,4) = 1/√2, (1,4) = (2,4) = 0.
 */
const rows: [number, number][] = [
  [1, 10],
  [1, 11],
  [2, 10],
  [2, 11],
  [3, 11],
  [3, 12],
  [4, 12],
];
const dense = toDense({
  rows: rows.length,
  userId: Float64Array.from(rows.map((r) => r[0])),
  merchantId: Float64Array.from(rows.map((r) => r[1])),
  visits: Int32Array.from(rows.map(() => 1)),
  lastVisitDay: Int32Array.from(rows.map(() => 29)),
});
const weights = WeightSetSchema.parse({
  visitTransform: 'binary',
  idfExponent: 0,
  maxMerchantShare: 1,
  minSharedMerchants: 1,
  normalization: 'cosine',
  blend: { overlap: 1, coPresence: 0, spendLevel: 0 },
  candidatePoolSize: 10,
  topK: 10,
});
const pairs = (list: [number, number, number][]): PairRows => ({
  user: Float64Array.from(list.map((p) => p[0])),
  candidate: Float64Array.from(list.map((p) => p[1])),
  label: Uint8Array.from(list.map((p) => p[2])),
});
const options = { seed: 1, negatives: 0, windowDays: 30, minAmountCents: 100 };

const evaluate = async (labels: PairRows, mask: PairRows | null = null) => {
  const ds = buildDataset(dense, labels, mask, null, options);
  const prepared = await prepareMatrix(ds, weights, { threads: 0 });
  return { ds, prepared, metrics: measure(ds, prepared, weights)[0]! };
};

describe('evaluation engine on a hand-computed population', () => {
  it('scores the labelled pairs by overlap and ranks each user’s candidates', async () => {
    const { prepared, metrics } = await evaluate(
      pairs([
        [1, 2, 1],
        [3, 4, 1],
        [1, 3, 0],
      ]),
    );
    const [a, b, c] = prepared.pairOverlap;
    expect(a).toBeCloseTo(1, 12);
    expect(b).toBeCloseTo(Math.SQRT1_2, 12);
    expect(c).toBeCloseTo(0.5, 12);
    // positives 1 and 0.707 against the negative 0.5
    expect(metrics).toMatchObject({ auc: 1, positives: 2, negatives: 1, rankedUsers: 4 });
    // every user's best candidate is its tie: 1→2, 2→1, 3→4 (0.707 > 0.5), 4→3
    expect(metrics.precisionAt1).toBe(1);
    expect(metrics.precisionAt10).toBeCloseTo(0.1, 12);
    expect(metrics.recallAt50).toBe(1);
  });

  it('an inverted labelling gives AUC 0 and misses at rank 1', async () => {
    const { metrics } = await evaluate(
      pairs([
        [1, 3, 1],
        [1, 2, 0],
      ]),
    );
    expect(metrics.auc).toBe(0);
    // 1 ranks 2 first (1 > ½); 3 ranks 4 first (0.707 > ½)
    expect(metrics.precisionAt1).toBe(0);
    expect(metrics.recallAt50).toBe(1);
  });

  it('a pair sharing no merchant scores 0 and ties count as half', async () => {
    const { metrics } = await evaluate(
      pairs([
        [1, 4, 1],
        [2, 4, 0],
      ]),
    );
    expect(metrics.auc).toBe(0.5);
  });

  it('the mask removes pairs from the negatives and the rankings, in both directions', async () => {
    const { ds, metrics } = await evaluate(
      pairs([
        [1, 2, 1],
        [3, 4, 1],
        [1, 3, 0],
      ]),
      pairs([[2, 1, 1]]),
    );
    expect(ds.maskedPairs).toBe(1);
    expect(metrics).toMatchObject({ positives: 1, negatives: 1, auc: 1, rankedUsers: 2 });
  });

  it('samples random negatives by seed, never a labelled tie', () => {
    const labels = pairs([[1, 2, 1]]);
    const a = buildDataset(dense, labels, null, null, { ...options, negatives: 500 });
    const b = buildDataset(dense, labels, null, null, { ...options, negatives: 500 });
    expect(a.sampledNegatives).toBe(500);
    expect(Array.from(a.pairU)).toEqual(Array.from(b.pairU));
    for (let p = 1; p < a.pairU.length; p++) {
      const pair = [a.pairU[p]!, a.pairV[p]!].sort((x, y) => x - y).join(',');
      expect(pair).not.toBe('0,1');
      expect(a.pairU[p]).not.toBe(a.pairV[p]);
    }
  });
});
