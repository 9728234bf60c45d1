import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addCalendarDays,
  exposureCounts,
  identicalPairShare,
  simulatePairingDays,
  type RankedPool,
} from '../../../src/core/evaluation/simulate-pairing.ts';
import type { PairingUser } from '../../../src/core/pairing/index.ts';

const user = (i: number): PairingUser => ({
  id: String(100 + i),
  city: 'Shanghai',
  gender: 'woman',
  seeking: ['woman'],
  age: 30,
  ageMin: 18,
  ageMax: 99,
  verified: false,
  onlyVerified: false,
  suspended: false,
  consentTransactions: true,
  consentMatching: true,
  candidates: { indices: [], scores: [], sharedCounts: [] },
});

/** Ranked pools from a symmetric score table (0 = not a candidate). */
function poolsOf(n: number, score: (a: number, b: number) => number): RankedPool[] {
  return Array.from({ length: n }, (_, u) => {
    const list = Array.from({ length: n }, (_, v) => v)
      .filter((v) => v !== u && score(u, v) > 0)
      .sort((a, b) => score(u, b) - score(u, a) || a - b);
    return {
      indices: Int32Array.from(list),
      scores: Float64Array.from(list, (v) => score(u, v)),
      sharedCounts: Int16Array.from(list, () => 3),
    };
  });
}

const key = (a: number, b: number) => (a < b ? `${String(a)}-${String(b)}` : `${String(b)}-${String(a)}`);

describe('simulatePairingDays', () => {
  // (0,1) .9, (2,3) .8, (0,2) .7, (1,3) .6, (0,3) .5, (1,2) .4
  const table: Record<string, number> = {
    '0-1': 0.9,
    '2-3': 0.8,
    '0-2': 0.7,
    '1-3': 0.6,
    '0-3': 0.5,
    '1-2': 0.4,
  };
  const pools = poolsOf(4, (a, b) => table[key(a, b)] ?? 0);
  const days = (topK: number, n: number) => [
    ...simulatePairingDays({
      users: [0, 1, 2, 3].map(user),
      pools,
      topK,
      blocks: [],
      recentPairs: [],
      date: '2026-11-22',
      minSharedMerchants: 2,
      days: n,
    }),
  ];

  it('holds each day’s pairs back on later days, refilling pools cut to topK', () => {
    const byDay = days(1, 4).map((pairs) => pairs.map((p) => key(p.a, p.b)).sort());
    expect(byDay).toEqual([['0-1', '2-3'], ['0-2', '1-3'], ['0-3', '1-2'], []]);
    expect([...exposureCounts(4, days(1, 4))]).toEqual([3, 3, 3, 3]);
  });

  it('keeps the real cooldown and blocks out of every day', () => {
    const pairs = [
      ...simulatePairingDays({
        users: [0, 1, 2, 3].map(user),
        pools,
        topK: 3,
        blocks: [[0, 2]],
        recentPairs: [[1, 0]],
        date: '2026-11-22',
        minSharedMerchants: 2,
        days: 3,
      }),
    ].map((d) => d.map((p) => key(p.a, p.b)).sort());
    // day 1: 0-3 and 1-2 (0.9) beat 2-3 alone (0.8); day 2: 2-3 beats 1-3; day 3: 1-3
    expect(pairs).toEqual([['0-3', '1-2'], ['2-3'], ['1-3']]);
  });

  it('never repeats a pair and pairs nobody twice a day (random tables)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 14 }),
        fc.array(fc.integer({ min: 0, max: 99 }), { minLength: 14 * 14, maxLength: 14 * 14 }),
        fc.integer({ min: 1, max: 5 }),
        (n, raw, topK) => {
          const score = (a: number, b: number) => raw[Math.min(a, b) * 14 + Math.max(a, b)]! / 100;
          const simulated = [
            ...simulatePairingDays({
              users: Array.from({ length: n }, (_, i) => user(i)),
              pools: poolsOf(n, score),
              topK,
              blocks: [],
              recentPairs: [],
              date: '2026-11-22',
              minSharedMerchants: 1,
              days: 6,
            }),
          ];
          const seen = new Set<string>();
          for (const day of simulated) {
            const busy = new Set<number>();
            for (const p of day) {
              expect(seen.has(key(p.a, p.b))).toBe(false);
              seen.add(key(p.a, p.b));
              expect(busy.has(p.a) || busy.has(p.b)).toBe(false);
              busy.add(p.a).add(p.b);
            }
          }
          const counts = exposureCounts(n, simulated);
          expect(counts.reduce((s, c) => s + c, 0)).toBe(2 * seen.size);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('identicalPairShare and addCalendarDays', () => {
  it('compares unordered pairs; null without pairs', () => {
    expect(
      identicalPairShare(
        [
          ['1', '2'],
          ['3', '4'],
        ],
        [
          ['2', '1'],
          ['3', '5'],
        ],
      ),
    ).toBe(0.5);
    expect(identicalPairShare([], [['1', '2']])).toBeNull();
  });

  it('adds days across months and years', () => {
    expect(addCalendarDays('2026-11-22', 0)).toBe('2026-11-22');
    expect(addCalendarDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addCalendarDays('2026-03-01', -1)).toBe('2026-02-28');
  });
});
