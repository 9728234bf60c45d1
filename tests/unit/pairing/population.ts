import fc from 'fast-check';
import {
  isEligiblePair,
  pairTieHash,
  userDayHash,
  type IndexPair,
  type MatchedPair,
  type PairingInput,
  type PairingUser,
} from '../../../src/core/pairing/index.ts';
import { GENDERS, type Gender } from '../../../src/core/shared/gender.ts';

/** A user with permissive defaults; tests override what they exercise. */
export function makeUser(overrides: Partial<PairingUser> & { id: string }): PairingUser {
  return {
    city: 'Hangzhou',
    gender: 'woman',
    seeking: ['woman', 'man', 'nonbinary'],
    age: 30,
    ageMin: 18,
    ageMax: 99,
    verified: false,
    onlyVerified: false,
    suspended: false,
    consentTransactions: true,
    consentMatching: true,
    candidates: { indices: [], scores: [], sharedCounts: [] },
    ...overrides,
  };
}

/** Builds lists from `[from, to, score, shared]` entries (from lists to). */
export function withLists(
  users: readonly PairingUser[],
  entries: readonly (readonly [number, number, number, number])[],
): PairingUser[] {
  return users.map((user, u) => {
    const mine = entries.filter(([from]) => from === u);
    return {
      ...user,
      candidates: {
        indices: mine.map(([, to]) => to),
        scores: mine.map(([, , score]) => score),
        sharedCounts: mine.map(([, , , shared]) => shared),
      },
    };
  });
}

/** True with probability 1/k. */
const oneIn = (k: number): fc.Arbitrary<boolean> => fc.integer({ min: 1, max: k }).map((x) => x === 1);
const genderArb = fc.constantFrom<Gender>(...GENDERS);
const scoreArb = fc.oneof(fc.constantFrom(0, 0.25, 0.5, 0.5, 1), fc.double({ min: 0, max: 1, noNaN: true }));

/**
 * Random populations: a few cities, all genders and preferences, flags mostly permissive so that
 * many pairs are eligible, random candidate lists (with ties, self-references and duplicates
 * across lists), random blocks and recent pairs.
 */
export const populationArb = (
  maxUsers = 30,
): fc.Arbitrary<{ input: PairingInput; minShared: number; date: string }> =>
  fc
    .uniqueArray(fc.integer({ min: 1, max: 1_000_000 }), { minLength: 2, maxLength: maxUsers })
    .chain((idNumbers) => {
      const n = idNumbers.length;
      const index = fc.integer({ min: 0, max: Math.max(0, n - 1) });
      const userArb = (id: string) =>
        fc.record({
          id: fc.constant(id),
          city: fc.constantFrom('Hangzhou', 'Hangzhou', 'Hangzhou', 'Hangzhou', 'Suzhou'),
          gender: genderArb,
          seeking: fc.oneof(
            { arbitrary: fc.constant([...GENDERS]), weight: 4 },
            { arbitrary: fc.subarray([...GENDERS], { minLength: 0 }), weight: 1 },
          ),
          age: fc.integer({ min: 24, max: 38 }),
          ageMin: fc.oneof({ arbitrary: fc.constant(18), weight: 3 }, fc.integer({ min: 18, max: 30 })),
          ageMax: fc.oneof({ arbitrary: fc.constant(99), weight: 3 }, fc.integer({ min: 30, max: 60 })),
          verified: oneIn(4).map((x) => !x),
          onlyVerified: oneIn(6),
          suspended: oneIn(16),
          consentTransactions: oneIn(16).map((x) => !x),
          consentMatching: oneIn(16).map((x) => !x),
          candidates: fc
            .array(fc.tuple(index, scoreArb, fc.integer({ min: 0, max: 6 })), { maxLength: n === 0 ? 0 : 10 })
            .map((list) => ({
              indices: list.map(([i]) => i),
              scores: list.map(([, s]) => s),
              sharedCounts: list.map(([, , c]) => c),
            })),
        });
      const pairArb = fc.tuple(index, index);
      return fc.record({
        input: fc.record({
          users: fc.tuple(...idNumbers.map((k) => userArb(`u${String(k)}`))),
          blocks: n === 0 ? fc.constant([]) : fc.array(pairArb, { maxLength: 6 }),
          recentPairs: n === 0 ? fc.constant([]) : fc.array(pairArb, { maxLength: 6 }),
        }),
        minShared: fc.integer({ min: 1, max: 3 }),
        date: fc.constantFrom('2026-11-22', '2026-11-23', '2027-02-28'),
      });
    });

/** One unordered candidate pair of the reference model, with the maxima of its list entries. */
export interface ReferenceEdge {
  readonly x: number;
  readonly y: number;
  readonly score: number;
  readonly shared: number;
  readonly eligible: boolean;
}

const keyOf = (x: number, y: number): string =>
  x < y ? `${String(x)}:${String(y)}` : `${String(y)}:${String(x)}`;

/** The candidate pairs, straight from the definition: either list, maxima, `isEligiblePair`. */
export function referenceEdges(input: PairingInput, minSharedMerchants: number): Map<string, ReferenceEdge> {
  const set = (pairs: readonly IndexPair[]) => new Set(pairs.map(([x, y]) => keyOf(x, y)));
  const blocked = set(input.blocks);
  const recent = set(input.recentPairs);
  const raw = new Map<string, { x: number; y: number; score: number; shared: number }>();
  input.users.forEach((user, u) => {
    const { indices, scores, sharedCounts } = user.candidates;
    for (let j = 0; j < indices.length; j += 1) {
      const v = indices[j] as number;
      if (v === u) continue;
      const key = keyOf(u, v);
      const previous = raw.get(key);
      const score = scores[j] as number;
      const shared = sharedCounts[j] as number;
      raw.set(key, {
        x: Math.min(u, v),
        y: Math.max(u, v),
        score: Math.max(previous?.score ?? 0, score),
        shared: Math.max(previous?.shared ?? 0, shared),
      });
    }
  });
  const edges = new Map<string, ReferenceEdge>();
  for (const [key, edge] of raw) {
    const eligible = isEligiblePair(input.users[edge.x] as PairingUser, input.users[edge.y] as PairingUser, {
      blocked: blocked.has(key),
      pairedRecently: recent.has(key),
      sharedMerchants: edge.shared,
      minSharedMerchants,
    });
    edges.set(key, { ...edge, eligible });
  }
  return edges;
}

export const edgeKey = keyOf;

/** Plain greedy by (score desc, tie hash, ids), written the slow and obvious way. */
export function referenceGreedy(
  input: PairingInput,
  minSharedMerchants: number,
  date: string,
): MatchedPair[] {
  const ids = input.users.map((u) => u.id);
  const ordered = (x: number, y: number): [string, string] => {
    const a = ids[x] as string;
    const b = ids[y] as string;
    return a < b ? [a, b] : [b, a];
  };
  const tie = (e: ReferenceEdge): number => {
    const [a, b] = ordered(e.x, e.y);
    return pairTieHash(userDayHash(date, a), userDayHash(date, b));
  };
  const edges = [...referenceEdges(input, minSharedMerchants).values()].filter((e) => e.eligible);
  edges.sort((p, q) => {
    if (p.score !== q.score) return q.score - p.score;
    if (tie(p) !== tie(q)) return tie(p) - tie(q);
    const [p1, p2] = ordered(p.x, p.y);
    const [q1, q2] = ordered(q.x, q.y);
    return p1 !== q1 ? (p1 < q1 ? -1 : 1) : p2 < q2 ? -1 : p2 > q2 ? 1 : 0;
  });
  const used = new Set<number>();
  const pairs: MatchedPair[] = [];
  for (const e of edges) {
    if (used.has(e.x) || used.has(e.y)) continue;
    used.add(e.x);
    used.add(e.y);
    const xFirst = (ids[e.x] as string) < (ids[e.y] as string);
    pairs.push({ a: xFirst ? e.x : e.y, b: xFirst ? e.y : e.x, score: e.score, sharedMerchants: e.shared });
  }
  return pairs;
}

/** The maximum total score over all matchings of the eligible edges, by exhaustive search. */
export function bruteForceOptimum(edges: readonly ReferenceEdge[]): number {
  const eligible = edges.filter((e) => e.eligible);
  const best = (from: number, used: Set<number>): number => {
    let result = 0;
    for (let i = from; i < eligible.length; i += 1) {
      const e = eligible[i] as ReferenceEdge;
      if (used.has(e.x) || used.has(e.y)) continue;
      used.add(e.x);
      used.add(e.y);
      result = Math.max(result, e.score + best(i + 1, used));
      used.delete(e.x);
      used.delete(e.y);
    }
    return result;
  };
  return best(0, new Set());
}

/** Re-indexes a population by a permutation (new index of old user u is `perm[u]`). */
export function permute(input: PairingInput, perm: readonly number[], reverseLists: boolean): PairingInput {
  const n = input.users.length;
  const users = new Array<PairingUser>(n);
  input.users.forEach((user, u) => {
    const order = [...Array(user.candidates.indices.length).keys()];
    if (reverseLists) order.reverse();
    users[perm[u] as number] = {
      ...user,
      candidates: {
        indices: order.map((j) => perm[user.candidates.indices[j] as number] as number),
        scores: order.map((j) => user.candidates.scores[j] as number),
        sharedCounts: order.map((j) => user.candidates.sharedCounts[j] as number),
      },
    };
  });
  const mapPair = ([x, y]: IndexPair): IndexPair => [perm[y] as number, perm[x] as number];
  return { users, blocks: input.blocks.map(mapPair), recentPairs: input.recentPairs.map(mapPair) };
}
