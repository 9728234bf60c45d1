import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mean, precisionAtK, recallAtK, rocAuc, seededRandom } from '../../../src/core/evaluation/index.ts';

/** The definition itself: every (positive, negative) pair, O(p·n). */
const bruteAuc = (pos: number[], neg: number[]): number => {
  let wins = 0;
  for (const p of pos) for (const n of neg) wins += p > n ? 1 : p === n ? 0.5 : 0;
  return wins / (pos.length * neg.length);
};

describe('rocAuc', () => {
  it.each([
    [[3, 4], [1, 2], 1],
    [[1, 2], [3, 4], 0],
    [[1], [1], 0.5],
    // pairs: (2,1) win, (2,2) tie, (2,3) loss, (4,·) three wins → (1 + 0.5 + 0 + 3) / 6
    [[2, 4], [1, 2, 3], 4.5 / 6],
    [[0, 0, 5], [0, 0], (0.5 * 4 + 2) / 6],
  ])('positives %j, negatives %j → %d', (pos, neg, expected) => {
    expect(rocAuc(pos, neg)).toBeCloseTo(expected, 12);
  });

  it('is NaN without positives or negatives', () => {
    expect(rocAuc([], [1])).toBeNaN();
    expect(rocAuc([1], [])).toBeNaN();
  });

  const scores = fc.array(
    fc.integer({ min: 0, max: 6 }).map((x) => x / 2),
    { minLength: 1, maxLength: 40 },
  );

  it('equals the pairwise definition, ties as half', () => {
    fc.assert(
      fc.property(scores, scores, (pos, neg) => Math.abs(rocAuc(pos, neg) - bruteAuc(pos, neg)) < 1e-12),
    );
  });

  it('is symmetric: swapping the classes gives 1 − AUC', () => {
    fc.assert(
      fc.property(scores, scores, (pos, neg) => Math.abs(rocAuc(pos, neg) + rocAuc(neg, pos) - 1) < 1e-12),
    );
  });

  it('depends only on the order of the scores (monotone transforms keep it)', () => {
    fc.assert(
      fc.property(scores, scores, (pos, neg) => {
        const f = (x: number) => Math.exp(3 * x) - 7;
        return Math.abs(rocAuc(pos.map(f), neg.map(f)) - rocAuc(pos, neg)) < 1e-12;
      }),
    );
  });
});

describe('precision@k and recall@k', () => {
  const relevant = new Set([3, 7, 9]);
  it.each([
    [[3, 1, 2], 1, 1, 1 / 3],
    [[1, 3, 2], 1, 0, 0],
    [[1, 3, 7, 9], 2, 1 / 2, 1 / 3],
    [[1, 3, 7, 9], 10, 3 / 10, 1],
    // a short list counts its missing slots as misses
    [[7], 10, 1 / 10, 1 / 3],
  ])('%j at %d: precision %d, recall %d', (ranked, k, precision, recall) => {
    expect(precisionAtK(ranked, relevant, k)).toBeCloseTo(precision, 12);
    expect(recallAtK(ranked, relevant, k)).toBeCloseTo(recall, 12);
  });

  it('refuses k < 1 and gives NaN recall without relevant items', () => {
    expect(() => precisionAtK([1], relevant, 0)).toThrow(RangeError);
    expect(recallAtK([1], new Set(), 5)).toBeNaN();
  });

  const ranking = fc.uniqueArray(fc.integer({ min: 0, max: 30 }), { maxLength: 30 });
  const rel = fc
    .uniqueArray(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 30 })
    .map((a) => new Set(a));

  it('stay in [0, 1]; recall grows with k; precision·k = recall·|relevant|', () => {
    fc.assert(
      fc.property(ranking, rel, fc.integer({ min: 1, max: 40 }), (r, s, k) => {
        const p = precisionAtK(r, s, k);
        const rc = recallAtK(r, s, k);
        return (
          p >= 0 &&
          p <= 1 &&
          rc >= 0 &&
          rc <= 1 &&
          recallAtK(r, s, k + 1) >= rc &&
          Math.abs(p * k - rc * s.size) < 1e-9
        );
      }),
    );
  });
});

describe('mean and seededRandom', () => {
  it('mean of values, NaN when empty', () => {
    expect(mean([1, 2, 6])).toBe(3);
    expect(mean([])).toBeNaN();
  });
  it('the same seed gives the same sequence in [0, 1); another seed differs', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const xs = Array.from({ length: 100 }, () => a());
    expect(Array.from({ length: 100 }, () => b())).toEqual(xs);
    expect(Array.from({ length: 100 }, () => c())).not.toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});
