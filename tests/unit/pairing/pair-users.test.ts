import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pairUsers, pairTieHash, userDayHash, type PairingUser } from '../../../src/core/pairing/index.ts';
import { bruteForceOptimum, edgeKey, makeUser, referenceEdges, withLists } from './population.ts';

const date = '2026-11-22';
const people = (count: number): PairingUser[] =>
  Array.from({ length: count }, (_, i) => makeUser({ id: `user-${String(i)}` }));
const run = (
  users: PairingUser[],
  extra: Partial<{ blocks: [number, number][]; recentPairs: [number, number][] }> = {},
) =>
  pairUsers(
    { users, blocks: extra.blocks ?? [], recentPairs: extra.recentPairs ?? [] },
    { date, minSharedMerchants: 2 },
  );
const idPairs = (users: PairingUser[], result: ReturnType<typeof run>) =>
  result.pairs.map((p) => [users[p.a]?.id, users[p.b]?.id]);

describe('pairUsers', () => {
  it('pairs nobody when there are no users or no lists', () => {
    expect(run([]).pairs).toEqual([]);
    expect(run([]).stats).toMatchObject({
      users: 0,
      pairs: 0,
      coverageAll: 0,
      coverageEligible: 0,
      meanScore: 0,
    });
    expect(run(people(3)).stats).toMatchObject({ users: 3, usersWithEligibleEdge: 0, pairs: 0 });
  });

  it('takes an edge listed by one side only, with the larger score and count when both list it', () => {
    const users = withLists(people(2), [
      [0, 1, 0.4, 2],
      [1, 0, 0.6, 3],
    ]);
    expect(run(users).pairs).toEqual([{ a: 0, b: 1, score: 0.6, sharedMerchants: 3 }]);
    expect(run(withLists(people(2), [[1, 0, 0.3, 2]])).pairs).toEqual([
      { a: 0, b: 1, score: 0.3, sharedMerchants: 2 },
    ]);
  });

  it('uses the larger shared count of two entries for the minimum', () => {
    const users = withLists(people(2), [
      [0, 1, 0.4, 1],
      [1, 0, 0.4, 2],
    ]);
    expect(run(users).pairs).toHaveLength(1);
  });

  it('ignores self references and refuses blocked and recent pairs either way', () => {
    const users = withLists(people(3), [
      [0, 0, 1, 5],
      [0, 1, 0.9, 2],
      [0, 2, 0.8, 2],
      [1, 2, 0.7, 2],
    ]);
    expect(idPairs(users, run(users))).toEqual([['user-0', 'user-1']]);
    expect(idPairs(users, run(users, { blocks: [[1, 0]] }))).toEqual([['user-0', 'user-2']]);
    expect(
      idPairs(
        users,
        run(users, {
          recentPairs: [
            [0, 1],
            [2, 0],
          ],
        }),
      ),
    ).toEqual([['user-1', 'user-2']]);
  });

  it('improves greedy with a length-3 augmenting path', () => {
    // u–a=b–v: greedy takes a=b (0.9), but (a,u) + (b,v) = 1.6 is better.
    const users = withLists(people(4), [
      [1, 2, 0.9, 2],
      [0, 1, 0.8, 2],
      [2, 3, 0.8, 2],
    ]);
    const greedy = pairUsers(
      { users, blocks: [], recentPairs: [] },
      { date, minSharedMerchants: 2, maxImprovementPasses: 0 },
    );
    expect(idPairs(users, greedy)).toEqual([['user-1', 'user-2']]);
    const improved = run(users);
    expect(idPairs(users, improved).sort()).toEqual([
      ['user-0', 'user-1'],
      ['user-2', 'user-3'],
    ]);
    expect(improved.stats).toMatchObject({
      pairs: 2,
      improvementMoves: 1,
      coverageAll: 1,
      coverageEligible: 1,
    });
    expect(improved.stats.greedyTotalScore).toBeCloseTo(0.9, 12);
    expect(improved.stats.totalScore).toBeCloseTo(1.6, 12);
    expect(improved.stats.meanScore).toBeCloseTo(0.8, 12);
  });

  it('keeps greedy when the augmenting path does not raise the total', () => {
    const users = withLists(people(4), [
      [1, 2, 0.9, 2],
      [0, 1, 0.45, 2],
      [2, 3, 0.45, 2],
    ]);
    expect(idPairs(users, run(users))).toEqual([['user-1', 'user-2']]);
    expect(run(users).stats).toMatchObject({ improvementMoves: 0, coverageAll: 0.5, coverageEligible: 0.5 });
  });

  it('finds the optimum on disjoint paths u–a–b–v of random weights', () => {
    const weights = fc.tuple(
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.double({ min: 0, max: 1, noNaN: true }),
    );
    fc.assert(
      fc.property(fc.array(weights, { minLength: 1, maxLength: 6 }), (paths) => {
        const users = withLists(
          people(4 * paths.length),
          paths.flatMap(([wu, wab, wv], i) => [
            [4 * i, 4 * i + 1, wu, 2] as const,
            [4 * i + 1, 4 * i + 2, wab, 2] as const,
            [4 * i + 3, 4 * i + 2, wv, 2] as const,
          ]),
        );
        const input = { users, blocks: [], recentPairs: [] };
        const total = run(users).pairs.reduce((sum, p) => sum + p.score, 0);
        const optimum = paths.reduce((sum, [wu, wab, wv]) => sum + Math.max(wab, wu + wv), 0);
        expect(total).toBeCloseTo(optimum, 9);
        if (paths.length <= 3) {
          expect(optimum).toBeCloseTo(bruteForceOptimum([...referenceEdges(input, 2).values()]), 9);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('breaks score ties by the hash of the date and the two ids, not by index or id order', () => {
    // A star: the centre ties with three leaves; the winner is the leaf with the smallest tie hash.
    const users = withLists(people(4), [
      [0, 1, 0.5, 2],
      [0, 2, 0.5, 2],
      [0, 3, 0.5, 2],
    ]);
    const winners = new Set<string>();
    for (const day of ['2026-11-20', '2026-11-21', '2026-11-22', '2026-11-23', '2026-11-24', '2026-11-25']) {
      const result = pairUsers({ users, blocks: [], recentPairs: [] }, { date: day, minSharedMerchants: 2 });
      const hashes = [1, 2, 3].map((leaf) =>
        pairTieHash(userDayHash(day, 'user-0'), userDayHash(day, `user-${String(leaf)}`)),
      );
      const expected = 1 + hashes.indexOf(Math.min(...hashes));
      expect(result.pairs).toEqual([{ a: 0, b: expected, score: 0.5, sharedMerchants: 2 }]);
      winners.add(String(expected));
    }
    expect(winners.size).toBeGreaterThan(1);
  });

  it('reports pairs best first with a the smaller id', () => {
    const users = withLists(
      [makeUser({ id: 'z' }), makeUser({ id: 'y' }), makeUser({ id: 'b' }), makeUser({ id: 'a' })],
      [
        [0, 1, 0.2, 2],
        [2, 3, 0.7, 2],
      ],
    );
    expect(run(users).pairs).toEqual([
      { a: 3, b: 2, score: 0.7, sharedMerchants: 2 },
      { a: 1, b: 0, score: 0.2, sharedMerchants: 2 },
    ]);
  });

  it('reads typed arrays as lists', () => {
    const users = people(2).map((user, u) => ({
      ...user,
      candidates: {
        indices: Int32Array.of(1 - u),
        scores: Float32Array.of(0.25),
        sharedCounts: Int16Array.of(4),
      },
    }));
    expect(run(users).pairs).toEqual([{ a: 0, b: 1, score: 0.25, sharedMerchants: 4 }]);
  });

  it.each([
    ['an index out of range', [[0, 2, 0.5, 2]], /not in \[0, 2\)/],
    ['a fractional index', [[0, 0.5, 0.5, 2]], /user index 0.5/],
    ['a score above 1', [[0, 1, 1.5, 2]], /score 1.5 is not in \[0, 1\]/],
    ['a NaN score', [[0, 1, Number.NaN, 2]], /score NaN/],
    ['a negative shared count', [[0, 1, 0.5, -1]], /shared count -1/],
  ] as const)('refuses %s', (_name, entries, message) => {
    expect(() => run(withLists(people(2), entries))).toThrow(message);
  });

  it('refuses lists of unequal length, duplicate ids, bad ages and genders, bad pairs and options', () => {
    const [first, second] = people(2) as [PairingUser, PairingUser];
    const uneven = { ...first, candidates: { indices: [1], scores: [], sharedCounts: [2] } };
    expect(() => run([uneven, second])).toThrow(/differ in length/);
    expect(() => run([first, { ...second, id: first.id }])).toThrow(/duplicate user id/);
    expect(() => run([first, { ...second, age: 17.5 }])).toThrow(/users\[1\]\.age/);
    expect(() => run([first, { ...second, gender: 'robot' as never }])).toThrow(/unknown gender/);
    expect(() => run([first, second], { blocks: [[0, 5]] })).toThrow(/blocks\[0\]/);
    const input = { users: [first, second], blocks: [], recentPairs: [] };
    expect(() => pairUsers(input, { date: '2026-02-30', minSharedMerchants: 2 })).toThrow();
    expect(() => pairUsers(input, { date, minSharedMerchants: 0 })).toThrow();
    expect(() => pairUsers(input, { date, minSharedMerchants: 2, extra: 1 } as never)).toThrow();
  });

  it('handles a larger city in one piece, every pair eligible and the matching maximal', () => {
    const n = 5_000;
    let seed = 42;
    const next = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    const users = Array.from({ length: n }, (_, u) => {
      const indices = new Int32Array(20);
      const scores = new Float32Array(20);
      const sharedCounts = new Int16Array(20);
      for (let j = 0; j < 20; j += 1) {
        indices[j] = Math.floor(next() * n);
        scores[j] = next();
        sharedCounts[j] = 1 + Math.floor(next() * 5);
      }
      return makeUser({
        id: String(u),
        gender: u % 2 ? 'man' : 'woman',
        candidates: { indices, scores, sharedCounts },
      });
    });
    const input = { users, blocks: [], recentPairs: [] };
    const { pairs, stats } = pairUsers(input, { date, minSharedMerchants: 2 });
    expect(stats.totalScore).toBeGreaterThanOrEqual(stats.greedyTotalScore);
    const edges = [...referenceEdges(input, 2).values()];
    const paired = new Set(pairs.flatMap((p) => [p.a, p.b]));
    expect(paired.size).toBe(2 * pairs.length);
    const eligible = new Set(edges.filter((e) => e.eligible).map((e) => edgeKey(e.x, e.y)));
    expect(pairs.filter((p) => !eligible.has(edgeKey(p.a, p.b)))).toEqual([]);
    expect(edges.filter((e) => e.eligible && !paired.has(e.x) && !paired.has(e.y))).toEqual([]);
    expect(stats.eligibleEdges).toBe(eligible.size);
  });
});
