import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decilesOf,
  outcomeAuc,
  outcomeDeciles,
  type ScoredOutcome,
} from '../../../src/core/evaluation/outcome-deciles.ts';
import { scoreBucket, scoreHistogram, SCORE_EDGES } from '../../../src/core/evaluation/score-histogram.ts';
import { suppressSmallCells } from '../../../src/core/evaluation/suppression.ts';

describe('suppressSmallCells', () => {
  it('withholds cells of 1..k−1 users and keeps empty ones', () => {
    expect(suppressSmallCells([0, 5, 30, 2, 40], [0, 5, 30, 2, 40], 20)).toEqual([0, null, 30, null, 40]);
  });

  it('withholds a second cell when one alone could be recovered from the total', () => {
    expect(suppressSmallCells([25, 3, 40, 21], [25, 3, 40, 21], 20)).toEqual([25, null, 40, null]);
  });

  it('never publishes a cell of fewer than k users, nor exactly one withheld cell', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 12 }),
        fc.integer({ min: 1, max: 30 }),
        (cs, k) => {
          const out = suppressSmallCells(cs, cs, k);
          out.forEach((c, i) => {
            if (c !== null) {
              expect(c).toBe(cs[i]);
              expect(c === 0 || c >= k).toBe(true);
            }
          });
          const withheld = out.filter((c) => c === null);
          const nonEmpty = cs.filter((c) => c > 0).length;
          if (nonEmpty > 1) expect(withheld.length).not.toBe(1);
        },
      ),
    );
  });
});

describe('scoreHistogram', () => {
  it('has the edges 0, 0.1, …, 1 and buckets by the card score', () => {
    expect(SCORE_EDGES).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
    expect(scoreBucket(0)).toBe(0);
    expect(scoreBucket(0.0949)).toBe(0); // shown as 9
    expect(scoreBucket(0.0999)).toBe(1); // shown as 10
    expect(scoreBucket(0.7)).toBe(7);
    expect(scoreBucket(0.6999)).toBe(7); // shown as 70
    expect(scoreBucket(1)).toBe(9);
  });

  it('counts pairs and withholds buckets of fewer than k users (two per pair)', () => {
    const scores = [
      ...Array<number>(10).fill(0.35),
      ...Array<number>(4).fill(0.55),
      ...Array<number>(12).fill(0.95),
    ];
    const h = scoreHistogram(scores, 20);
    // 4 pairs = 8 users withheld; then the smallest other bucket (10 pairs) as well, since the 4
    // alone could be recovered from the total
    expect(h.counts).toEqual([0, 0, 0, null, 0, null, 0, 0, 0, 12]);
    expect(scoreHistogram(scores, 8).counts).toEqual([0, 0, 0, 10, 0, 4, 0, 0, 0, 12]);
  });
});

const outcome = (score: number, a: number, b: number, likes: number, decisions = 2): ScoredOutcome => ({
  score,
  users: [a, b],
  decisions,
  likes,
  mutual: likes === 2,
});

describe('outcome deciles and AUC', () => {
  it('assigns deciles by rank, ties together', () => {
    expect([...decilesOf([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1])]).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
    ]);
    expect([...decilesOf([0.5, 0.5, 0.5, 0.9])]).toEqual([1, 1, 1, 8]);
  });

  it('every decile holds about a tenth of distinct scores', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 10_000 }), { minLength: 10, maxLength: 300 }),
        (xs) => {
          const d = decilesOf(xs.map((x) => x / 10_000));
          for (let k = 1; k <= 10; k++) {
            const size = d.filter((x) => x === k).length;
            expect(Math.abs(size - xs.length / 10)).toBeLessThanOrEqual(1);
          }
        },
      ),
    );
  });

  it('gives like and mutual rates per decile, withheld below k distinct users', () => {
    // 100 matches of 200 distinct users; scores 0..0.99; the top half mutual, the rest one like of two
    const outcomes = Array.from({ length: 100 }, (_, i) =>
      outcome(i / 100, 2 * i, 2 * i + 1, i >= 50 ? 2 : 1),
    );
    const deciles = outcomeDeciles(outcomes, 20);
    expect(deciles.map((d) => d.matches)).toEqual(Array<number>(10).fill(10));
    expect(deciles.map((d) => d.mutualRate)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
    expect(deciles.map((d) => d.likeRate)).toEqual([0.5, 0.5, 0.5, 0.5, 0.5, 1, 1, 1, 1, 1]);
    expect(outcomeAuc(outcomes, 20)).toBe(1);
    // 20 users per decile: with k = 21 every rate is withheld, and so is the AUC below 200 users
    expect(outcomeDeciles(outcomes, 21).every((d) => d.likeRate === null && d.mutualRate === null)).toBe(
      true,
    );
    expect(outcomeAuc(outcomes, 201)).toBeNull();
  });

  it('counts the same user once within a decile', () => {
    const repeat = Array.from({ length: 10 }, (_, i) => outcome(0.5, 0, i + 1, 1));
    expect(outcomeDeciles(repeat, 11)[0]).toMatchObject({ matches: 10, likeRate: 0.5, mutualRate: 0 });
    expect(outcomeDeciles(repeat, 12)[0]).toMatchObject({ matches: 10, likeRate: null, mutualRate: null });
  });

  it('AUC is ½ for a constant score, 0 when reversed, null with one class only', () => {
    const flat = Array.from({ length: 20 }, (_, i) => outcome(0.4, 2 * i, 2 * i + 1, i % 2 === 0 ? 2 : 0));
    expect(outcomeAuc(flat, 1)).toBe(0.5);
    const reversed = Array.from({ length: 20 }, (_, i) => outcome(i / 20, 2 * i, 2 * i + 1, i < 10 ? 2 : 0));
    expect(outcomeAuc(reversed, 1)).toBe(0);
    expect(
      outcomeAuc(
        flat.filter((o) => o.mutual),
        1,
      ),
    ).toBeNull();
  });
});
