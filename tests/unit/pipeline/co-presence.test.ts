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
  it('gives the merge of coPresenceCount for every candidate of any pool, pool after pool', () => {
    fc.assert(
      fc.property(
        fc.array(user, { minLength: 2, maxLength: 8 }),
        fc.uint8Array({ minLength: MERCHANTS, maxLength: MERCHANTS, max: 1 }),
        fc.integer({ min: 0, max: 200 }),
        (users, stop, gap) => {
          const counter = coPresenceCounter(users, stop, MERCHANTS, gap);
          const starts = users.map(minuteOffsets);
          // Each user in turn with every other user as its pool, in a rotated order, then the
          // first again with half of them (a previous pool's marks must be cleared).
          const out = new Int32Array(users.length + 1).fill(-1);
          const pools = users.map((_, u) => {
            const others = [...users.keys()].filter((v) => v !== u);
            return {
              u,
              pool: [
                ...others.slice(u % Math.max(1, others.length)),
                ...others.slice(0, u % Math.max(1, others.length)),
              ],
            };
          });
          pools.push({ u: 0, pool: pools[0]!.pool.filter((_, i) => i % 2 === 1) });
          for (const { u, pool } of pools) {
            counter.countPool(u, pool, out);
            const expected = pool.map((v) =>
              coPresenceCount(users[u]!, starts[u]!, users[v]!, starts[v]!, stop, gap),
            );
            expect([...out.subarray(0, pool.length)]).toEqual(expected);
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
    const out = new Int32Array(1);
    coPresenceCounter([a, b], stop, 6, 120).countPool(0, [1], out);
    // merchant 0 (50 min apart) and 2 (120) count, 1 (300) does not, 3 is a stop, 4 counts: 3
    expect(out[0]).toBe(3);
    coPresenceCounter([a, b], stop, 6, 60).countPool(1, [0], out);
    expect(out[0]).toBe(2); // merchants 0 and 4
    coPresenceCounter([a, b], stop, 6, 60).countPool(1, [], out);
    expect(out[0]).toBe(2); // an empty pool writes nothing
  });
});
