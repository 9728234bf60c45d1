import { describe, expect, it } from 'vitest';
import {
  aliasFor,
  ageBand,
  bucketSharedCount,
  decisionState,
  displayScore,
  topSharedCategories,
  type Decision,
  type DecisionState,
} from '../../../src/core/masking/index.ts';

describe('bucketSharedCount', () => {
  it.each([
    [1, '2'],
    [2, '2'],
    [3, '3-4'],
    [4, '3-4'],
    [5, '5+'],
    [6, '5+'],
    [250, '5+'],
  ] as const)('%i → %s', (count, bucket) => expect(bucketSharedCount(count)).toBe(bucket));
  it.each([0, -1, 2.5, Number.NaN])('refuses %s', (count) =>
    expect(() => bucketSharedCount(count)).toThrow(RangeError),
  );
});

describe('ageBand', () => {
  it.each([
    [2000, '2026-11-22', '25-29'],
    [2001, '2026-01-01', '25-29'],
    [2006, '2026-12-31', '20-24'],
    [2008, '2026-06-01', '15-19'],
    [1997, '2026-06-01', '25-29'],
    [1996, '2026-06-01', '30-34'],
    [1926, '2026-06-01', '100-104'],
    [2026, '2026-06-01', '0-4'],
  ] as const)('born %i, on %s → %s', (birthYear, date, band) => expect(ageBand(birthYear, date)).toBe(band));
  it('refuses a birth after the date and a bad date', () => {
    expect(() => ageBand(2027, '2026-06-01')).toThrow(RangeError);
    expect(() => ageBand(1990, '2026-02-30')).toThrow(RangeError);
    expect(() => ageBand(1990.5, '2026-02-01')).toThrow(RangeError);
  });
});

describe('displayScore', () => {
  it.each([
    [0, 'fraction', 0],
    [0.004, 'fraction', 0],
    [0.005, 'fraction', 1],
    [0.5, 'fraction', 50],
    [0.876, 'fraction', 88],
    [1, 'fraction', 100],
    [1.2, 'fraction', 100],
    [-0.1, 'fraction', 0],
    [-0, 'fraction', 0],
    [87.4, 'percent', 87],
    [87.5, 'percent', 88],
    [140, 'percent', 100],
  ] as const)('%s as %s → %i', (score, scale, shown) =>
    expect(Object.is(displayScore(score, scale), shown)).toBe(true),
  );
  it('refuses a non-finite score', () =>
    expect(() => displayScore(Number.NaN, 'percent')).toThrow(RangeError));
});

describe('topSharedCategories', () => {
  it.each([
    ['empty', [], []],
    [
      'by weight',
      [
        { category: 'tea', weight: 1 },
        { category: 'bar', weight: 3 },
      ],
      ['bar', 'tea'],
    ],
    [
      'ties by name',
      [
        { category: 'tea', weight: 2 },
        { category: 'bar', weight: 2 },
        { category: 'coffee', weight: 2 },
        { category: 'books', weight: 2 },
      ],
      ['bar', 'books', 'coffee'],
    ],
    [
      'at most three',
      [
        { category: 'tea', weight: 4 },
        { category: 'bar', weight: 3 },
        { category: 'coffee', weight: 2 },
        { category: 'books', weight: 5 },
      ],
      ['books', 'tea', 'bar'],
    ],
    [
      'repeats summed',
      [
        { category: 'tea', weight: 1 },
        { category: 'bar', weight: 1.5 },
        { category: 'tea', weight: 1 },
      ],
      ['tea', 'bar'],
    ],
    [
      'non-positive dropped',
      [
        { category: 'tea', weight: 0 },
        { category: 'bar', weight: -1 },
        { category: 'pets', weight: 0.1 },
      ],
      ['pets'],
    ],
  ] as const)('%s', (_name, input, expected) => expect(topSharedCategories(input)).toEqual(expected));
  it('refuses a non-finite weight', () =>
    expect(() => topSharedCategories([{ category: 'tea', weight: Number.POSITIVE_INFINITY }])).toThrow(
      RangeError,
    ));
});

describe('decisionState', () => {
  const rows: [Decision, Decision, boolean, DecisionState][] = [
    [null, null, false, 'pending'],
    [null, 'like', false, 'pending'],
    [null, 'pass', true, 'pending'],
    ['pass', null, false, 'passed'],
    ['pass', 'like', false, 'passed'],
    ['like', null, false, 'waiting'],
    ['like', 'pass', false, 'waiting'],
    ['like', null, true, 'liked'],
    ['like', 'pass', true, 'liked'],
    ['like', 'like', false, 'connected'],
    ['like', 'like', true, 'connected'],
  ];
  it.each(rows)('viewer %s, counterpart %s, expired %s → %s', (viewer, counterpart, expired, state) =>
    expect(decisionState(viewer, counterpart, expired)).toBe(state),
  );
});

describe('aliasFor', () => {
  const ids = Array.from(
    { length: 2000 },
    (_, i) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
  );

  it('is an "Adjective Noun" pair, stable per (match, side)', () => {
    for (const id of ids.slice(0, 50)) {
      expect(aliasFor(id, 'a')).toMatch(/^[A-Z][a-z]+ [A-Z][a-z]+$/);
      expect(aliasFor(id, 'a')).toBe(aliasFor(id, 'a'));
      expect(aliasFor(id, 'b')).toBe(aliasFor(id, 'b'));
    }
    expect(aliasFor('6f1c2d9e-3b4a-4c5d-8e7f-0a1b2c3d4e5f', 'a')).toMatchInlineSnapshot(`"Dusk Squirrel"`);
  });

  it('differs between the two viewers of every match', () => {
    for (const id of ids) expect(aliasFor(id, 'a')).not.toBe(aliasFor(id, 'b'));
  });

  it('spreads over the vocabulary', () => {
    const seen = new Set(ids.map((id) => aliasFor(id, 'a')));
    // 2,000 draws from 4,096 aliases: about 1,630 distinct are expected.
    expect(seen.size).toBeGreaterThan(1_500);
  });
});
