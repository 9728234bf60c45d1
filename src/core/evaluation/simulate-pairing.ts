import { pairUsers } from '../pairing/index.ts';
import type { CandidateList, IndexPair, MatchedPair, PairingUser } from '../pairing/index.ts';
import { CalendarDateSchema } from '../shared/calendar-date.ts';

/**
 * Successive days of the daily pairing over one scored population, for the exposure figures of
 * an evaluation (design section 7). Pure: the caller iterates the generator and may yield to its
 * event loop between days.
 */

/** A user's whole scored pool, best first (the full score, as the pair stage ranks it). */
export type RankedPool = CandidateList;

export interface PairingDaysInput {
  /** The users as the pairing core takes them; their `candidates` are ignored (see `pools`). */
  users: readonly PairingUser[];
  /** Each user's ranked pool, deeper than `topK` so that later days can refill. */
  pools: readonly RankedPool[];
  topK: number;
  blocks: readonly IndexPair[];
  /** Pairs in the real cooldown (matched in the last `repeatCooldownDays`). */
  recentPairs: readonly IndexPair[];
  /** The first day's business date; day d uses date + d (the ties' hash seed). */
  date: string;
  minSharedMerchants: number;
  days: number;
}

/** Adds days to a calendar date (UTC arithmetic, no time zone). */
export function addCalendarDays(date: string, days: number): string {
  const d = CalendarDateSchema.parse(date);
  const t = Date.UTC(Number(d.slice(0, 4)), Number(d.slice(5, 7)) - 1, Number(d.slice(8, 10)));
  return new Date(t + days * 86_400_000).toISOString().slice(0, 10);
}

/**
 * Day 1 is the nightly pairing itself: each pool cut to its `topK` best, then the pairing core.
 * Each later day first removes from every pool the pairs made on earlier simulated days (as the
 * repeat cooldown removes them during candidate generation), cuts to `topK` again (so the next
 * candidates move up) and pairs with those pairs added to the cooldown. Yields each day's pairs.
 *
 * The pools are the first day's (`candidatePoolSize` deep, by overlap): a nightly run would also
 * fill a pool with users beyond that depth once cooled-down ones leave it; these rank below
 * every pool entry by overlap, so the simulation can only miss them when `candidatePoolSize` −
 * (days − 1) entries remain, far more than `topK` with the defaults (200, 30, 50).
 */
export function* simulatePairingDays(input: PairingDaysInput): Generator<readonly MatchedPair[]> {
  const n = input.users.length;
  if (input.pools.length !== n) throw new RangeError('one pool per user');
  const key = (a: number, b: number): number => (a < b ? a * n + b : b * n + a);
  const paired = new Set<number>();
  const cooled: IndexPair[] = [...input.recentPairs];
  for (let day = 0; day < input.days; day++) {
    const users = input.users.map((u, i): PairingUser => {
      const pool = input.pools[i]!;
      const indices: number[] = [];
      const scores: number[] = [];
      const sharedCounts: number[] = [];
      for (let j = 0; j < pool.indices.length && indices.length < input.topK; j++) {
        const v = pool.indices[j]!;
        if (paired.size > 0 && paired.has(key(i, v))) continue;
        indices.push(v);
        scores.push(pool.scores[j]!);
        sharedCounts.push(pool.sharedCounts[j]!);
      }
      return {
        ...u,
        candidates: {
          indices: Int32Array.from(indices),
          scores: Float64Array.from(scores),
          sharedCounts: Int16Array.from(sharedCounts),
        },
      };
    });
    const { pairs } = pairUsers(
      { users, blocks: input.blocks, recentPairs: cooled },
      { date: addCalendarDays(input.date, day), minSharedMerchants: input.minSharedMerchants },
    );
    for (const p of pairs) {
      paired.add(key(p.a, p.b));
      cooled.push([p.a, p.b]);
    }
    yield pairs;
  }
}

/**
 * How many times each user is paired over the given days (every user, paired or not): the
 * exposure whose Gini and Lorenz curve the report gives.
 */
export function exposureCounts(userCount: number, days: Iterable<readonly MatchedPair[]>): Int32Array {
  const counts = new Int32Array(userCount);
  for (const pairs of days) {
    for (const p of pairs) {
      counts[p.a]! += 1;
      counts[p.b]! += 1;
    }
  }
  return counts;
}

/**
 * The share of `pairs` that `reference` also contains (unordered pairs of stable ids); null when
 * `pairs` is empty.
 */
export function identicalPairShare(
  pairs: ReadonlyArray<readonly [string, string]>,
  reference: ReadonlyArray<readonly [string, string]>,
): number | null {
  if (pairs.length === 0) return null;
  const norm = ([a, b]: readonly [string, string]): string => (a < b ? `${a}|${b}` : `${b}|${a}`);
  const ref = new Set(reference.map(norm));
  let same = 0;
  for (const p of pairs) if (ref.has(norm(p))) same++;
  return same / pairs.length;
}
