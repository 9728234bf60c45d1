import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planShards, type CitySize } from '../../../src/modules/pipeline/shard-plan.ts';

const citiesArb = fc.uniqueArray(
  fc.record({ city: fc.string({ minLength: 1, maxLength: 6 }), users: fc.integer({ min: 1, max: 100_000 }) }),
  { selector: (c) => c.city, minLength: 1, maxLength: 20 },
);

describe('planShards', () => {
  it('gives every city at least one shard in range, a split city distinct shards, and is order-free', () => {
    fc.assert(
      fc.property(
        citiesArb,
        fc.integer({ min: 1, max: 16 }),
        fc.double({ min: 0.05, max: 1, noNaN: true }),
        (cities, shards, share) => {
          const plan = planShards(cities, shards, share);
          const total = cities.reduce((n, c) => n + c.users, 0);
          expect(Object.keys(plan).sort()).toEqual(cities.map((c) => c.city).sort());
          for (const { city, users } of cities) {
            const owned = plan[city]!;
            expect(owned.length).toBeGreaterThanOrEqual(1);
            expect(new Set(owned).size).toBe(owned.length);
            for (const s of owned) expect(s >= 0 && s < shards).toBe(true);
            // whole unless above the share (and there is more than one shard)
            expect(owned.length > 1).toBe(shards > 1 && users > share * total);
          }
          expect(planShards([...cities].reverse(), shards, share)).toEqual(plan);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('packs whole cities largest first onto the least loaded shard', () => {
    const cities: CitySize[] = [
      { city: 'a', users: 40 },
      { city: 'b', users: 30 },
      { city: 'c', users: 20 },
      { city: 'd', users: 10 },
    ];
    // costs users²/2 = 800, 450, 200, 50: a → 0, b → 1, c → 1 (450 < 800), d → 1 (650 < 800)
    expect(planShards(cities, 2)).toEqual({ a: [0], b: [1], c: [1], d: [1] });
    expect(planShards(cities, 4)).toEqual({ a: [0], b: [1], c: [2], d: [3] });
    expect(planShards(cities, 1)).toEqual({ a: [0], b: [0], c: [0], d: [0] });
  });

  it('splits a city holding most of the run over ⌈users/(total/shards)⌉ shards', () => {
    const plan = planShards(
      [
        { city: 'big', users: 900 },
        { city: 'small', users: 100 },
      ],
      8,
    );
    // 900 of 1,000 users with 8 shards: ⌈7.2⌉ = 8 parts; the small city goes to the lightest
    expect(plan['big']).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(plan['small']).toHaveLength(1);
    expect(planShards([{ city: 'only', users: 10 }], 3)).toEqual({ only: [0, 1, 2] });
  });

  it('rejects a shard count that is not a positive integer', () => {
    expect(() => planShards([], 0)).toThrow(RangeError);
    expect(() => planShards([], 1.5)).toThrow(RangeError);
  });
});
