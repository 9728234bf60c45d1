import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { indicesByKeyDesc } from '../../../src/core/shared/index-sort.ts';

describe('indicesByKeyDesc', () => {
  it('orders like a stable comparator sort, with and without a tie-break key', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 9 }), fc.integer({ min: -5, max: 5 })), {
          maxLength: 300,
        }),
        (rows) => {
          const key = Float64Array.from(rows, ([k]) => k / 7);
          const tie = Int32Array.from(rows, ([, t]) => t);
          const all = rows.map((_, i) => i);
          const stable = [...all].sort((a, b) => key[b]! - key[a]!);
          const tied = [...all].sort((a, b) => key[b]! - key[a]! || tie[a]! - tie[b]!);
          expect(Array.from(indicesByKeyDesc(key))).toEqual(stable);
          expect(Array.from(indicesByKeyDesc(key, key.length, tie))).toEqual(tied);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('sorts a prefix only when given a length', () => {
    const key = Float64Array.of(1, 3, 2, 9);
    expect(Array.from(indicesByKeyDesc(key, 3))).toEqual([1, 2, 0]);
  });
});
