import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { coPresenceCounter } from '../../../src/modules/pipeline/co-presence.ts';
import { coPresenceCount, minuteOffsets } from '../../../src/modules/pipeline/shard-scoring.ts';
import { cityUserOf } from './city-users.ts';

const MERCHANTS = 12;

/** A user with distinct ascending merchants and, per merchant, 1–4 ascending visit minutes. */
const user = fc
  .uniqueArray(
    fc.record({
      merchant: fc.integer({ min: 0, max: MERCHANTS - 1 }),
      minutes: fc.array(fc.integer({ min: 0, max: 600 }), { minLength: 1, maxLength: 4 }),
    }),
    { selector: (x) => x.merchant, maxLength: 8 },
  )
  .map((list) => cityUserOf(list));

describe('coPresenceCounter', () => {
  it('gives the merge of coPresenceCount for every pair, whatever the order of first users', () => {
    fc.assert(
      fc.property(
        fc.array(user, { minLength: 2, maxLength: 8 }),
        fc.uint8Array({ minLength: MERCHANTS, maxLength: MERCHANTS, max: 1 }),
        fc.integer({ min: 0, max: 200 }),
        (users, stop, gap) => {
          const counter = coPresenceCounter(users, stop, MERCHANTS, gap);
          const starts = users.map(minuteOffsets);
          // Each user in turn (and the first again, so a previous user's slots must be cleared).
          for (const u of [...users.keys(), 0]) {
            counter.use(u);
            users.forEach((_, v) => {
              if (v === u) return;
              const expected = coPresenceCount(users[u]!, starts[u]!, users[v]!, starts[v]!, stop, gap);
              expect(counter.count(v)).toBe(expected);
            });
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('counts shared non-stop merchants visited within the gap, up to 3', () => {
    // one visit per merchant, at the given minute
    const mk = (merchants: number[], minutes: number[]) =>
      cityUserOf(merchants.map((merchant, i) => ({ merchant, minutes: [minutes[i]!] })));
    const a = mk([0, 1, 2, 3, 4], [100, 100, 100, 100, 100]);
    const b = mk([0, 1, 2, 3, 4], [150, 400, 220, 100, 100]);
    const stop = Uint8Array.from([0, 0, 0, 1, 0, 0]);
    const counter = coPresenceCounter([a, b], stop, 6, 120);
    counter.use(0);
    // merchant 0 (50 min apart) and 2 (120) count, 1 (300) does not, 3 is a stop, 4 counts: 3
    expect(counter.count(1)).toBe(3);
    counter.use(1);
    expect(coPresenceCounter([a, b], stop, 6, 60).count(0)).toBe(0); // no user chosen: nothing shared
    const tight = coPresenceCounter([a, b], stop, 6, 60);
    tight.use(1);
    expect(tight.count(0)).toBe(2); // merchants 0 and 4
  });
});
