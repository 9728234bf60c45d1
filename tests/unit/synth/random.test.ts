import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AliasTable, Rng, zipfWeights } from '../../../src/synth/random.ts';

describe('Rng', () => {
  it('repeats a stream for the same seed and labels, and differs otherwise', () => {
    const draw = (rng: Rng): number[] => Array.from({ length: 8 }, () => rng.u32());
    expect(draw(new Rng(42, 1, 2))).toEqual(draw(new Rng(42, 1, 2)));
    expect(draw(new Rng(42, 1, 2))).not.toEqual(draw(new Rng(42, 1, 3)));
    expect(draw(new Rng(42, 1, 2))).not.toEqual(draw(new Rng(43, 1, 2)));
  });

  it('draws floats in [0, 1) and integers in range', () => {
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 1000 }), (seed, n) => {
        const rng = new Rng(seed);
        for (let i = 0; i < 50; i++) {
          const x = rng.float();
          const k = rng.int(n);
          if (!(x >= 0 && x < 1) || !Number.isInteger(k) || k < 0 || k >= n) return false;
        }
        return true;
      }),
    );
  });

  it('has a roughly uniform mean and a standard normal', () => {
    const rng = new Rng(5);
    let sum = 0;
    let sq = 0;
    let mean = 0;
    const n = 50_000;
    for (let i = 0; i < n; i++) {
      mean += rng.float();
      const z = rng.normal();
      sum += z;
      sq += z * z;
    }
    expect(mean / n).toBeCloseTo(0.5, 2);
    expect(sum / n).toBeCloseTo(0, 1);
    expect(sq / n).toBeCloseTo(1, 1);
  });
});

describe('AliasTable', () => {
  it('samples in proportion to the weights', () => {
    const weights = zipfWeights(10, 1, 0);
    const total = weights.reduce((a, b) => a + b, 0);
    const table = new AliasTable(weights);
    const rng = new Rng(9);
    const counts = new Array<number>(10).fill(0);
    const n = 200_000;
    for (let i = 0; i < n; i++) counts[table.sample(rng)]!++;
    counts.forEach((c, i) => expect(c / n).toBeCloseTo((weights[i] as number) / total, 2));
  });

  it('never samples a zero weight and rejects empty or zero tables', () => {
    const table = new AliasTable([0, 3, 0, 1]);
    const rng = new Rng(1);
    for (let i = 0; i < 10_000; i++) expect([1, 3]).toContain(table.sample(rng));
    expect(() => new AliasTable([])).toThrow(RangeError);
    expect(() => new AliasTable([0, 0])).toThrow(RangeError);
  });
});
