import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gini, lorenzCurve, LORENZ_POINTS } from '../../../src/core/evaluation/exposure.ts';

const counts = fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 200 });
const positive = counts.filter((xs) => xs.some((x) => x > 0));

/** Twice the area between the diagonal and the piecewise-linear Lorenz curve through every user. */
function giniByArea(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const total = s.reduce((a, b) => a + b, 0);
  let area = 0;
  let cum = 0;
  for (const x of s) {
    const next = cum + x;
    area += (cum + next) / total / 2 / s.length;
    cum = next;
  }
  return 1 - 2 * area;
}

describe('gini', () => {
  it('is 0 for equal exposure and 1 − 1/n when one user has everything', () => {
    expect(gini([3, 3, 3, 3])).toBe(0);
    expect(gini([0, 0, 0, 5])).toBeCloseTo(0.75, 12);
    expect(gini([0, 1])).toBeCloseTo(0.5, 12);
  });

  it('is null without users or without any exposure', () => {
    expect(gini([])).toBeNull();
    expect(gini([0, 0, 0])).toBeNull();
  });

  it('equals 1 − 2·(area under the Lorenz curve), in [0, 1 − 1/n]', () => {
    fc.assert(
      fc.property(positive, (xs) => {
        const g = gini(xs)!;
        expect(g).toBeCloseTo(giniByArea(xs), 9);
        expect(g).toBeGreaterThanOrEqual(0);
        expect(g).toBeLessThanOrEqual(1 - 1 / xs.length + 1e-12);
      }),
    );
  });

  it('does not depend on order or on the unit', () => {
    fc.assert(
      fc.property(positive, fc.integer({ min: 2, max: 9 }), (xs, c) => {
        const g = gini(xs)!;
        expect(gini([...xs].reverse())).toBeCloseTo(g, 12);
        expect(gini(xs.map((x) => x * c))).toBeCloseTo(g, 12);
      }),
    );
  });

  it('refuses negative counts', () => {
    expect(() => gini([1, -1])).toThrow(RangeError);
  });
});

describe('lorenzCurve', () => {
  it('reads the curve every 5 % of the population', () => {
    // 20 users: 10 never paired, 10 paired twice; the least paired half holds nothing.
    const { population, exposure } = lorenzCurve([
      ...Array<number>(10).fill(0),
      ...Array<number>(10).fill(2),
    ]);
    expect(population).toHaveLength(LORENZ_POINTS);
    expect(population[10]).toBeCloseTo(0.5, 12);
    expect(exposure[10]).toBe(0);
    expect(exposure[15]).toBeCloseTo(0.5, 12);
    expect(exposure[20]).toBe(1);
  });

  it('has one point per user (and the origin) below 20 users, and is empty without exposure', () => {
    expect(lorenzCurve([1, 3])).toEqual({ population: [0, 0.5, 1], exposure: [0, 0.25, 1] });
    expect(lorenzCurve([0, 0])).toEqual({ population: [], exposure: [] });
  });

  it('runs from (0,0) to (1,1), non-decreasing, convex and never above the diagonal', () => {
    fc.assert(
      fc.property(positive, (xs) => {
        const { population: p, exposure: e } = lorenzCurve(xs);
        expect(p.length).toBe(Math.min(LORENZ_POINTS, xs.length + 1));
        expect(p.length).toBe(e.length);
        expect([p[0], e[0], p.at(-1), e.at(-1)]).toEqual([0, 0, 1, 1]);
        for (let j = 1; j < p.length; j++) {
          expect(e[j]!).toBeGreaterThanOrEqual(e[j - 1]! - 1e-12);
          expect(e[j]!).toBeLessThanOrEqual(p[j]! + 1e-12);
          if (j + 1 < p.length) {
            // equally spaced points: slopes never decrease
            expect(e[j + 1]! - e[j]!).toBeGreaterThanOrEqual(e[j]! - e[j - 1]! - 1e-12);
          }
        }
      }),
    );
  });
});
