import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatArray, parseIntegerArray } from '../../../src/modules/pipeline/copy.ts';

describe('parseIntegerArray', () => {
  it('reads what formatArray wrote', () => {
    fc.assert(
      fc.property(fc.array(fc.maxSafeInteger()), (values) => {
        const text = formatArray(values);
        expect(parseIntegerArray(text)).toEqual(values);
      }),
      { numRuns: 500 },
    );
  });

  it('reads Postgres text arrays: empty, one element, negatives', () => {
    expect(parseIntegerArray('{}')).toEqual([]);
    expect(parseIntegerArray('{0}')).toEqual([0]);
    expect(parseIntegerArray('{-3,0,17,9007199254740991}')).toEqual([-3, 0, 17, 9007199254740991]);
  });
});
