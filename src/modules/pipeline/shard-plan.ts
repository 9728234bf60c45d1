/**
 * Which score shards own which cities. Pairs never cross a city, so a shard that holds a whole city
 * scores it with the symmetric kernel (each pair once, `src/core/scoring/symmetric.ts`) over a
 * matrix of that city alone. Cities are packed whole, largest cost first onto the least loaded
 * shard (LPT), with a city's cost taken as users² (its pairs). A city holding more than
 * `splitShare` of the run's users is split instead, round robin by user id, over
 * `⌈users / (run users / shards)⌉` shards (at least 2, at most all): each part is scored one-sided
 * against its whole city, which costs twice the symmetric kernel in all but lets a run of one big
 * city spread over every worker. Below that share a whole city is cheaper for any number of
 * workers up to half the shards (docs/scaling.md, "Shards own cities").
 */

export type CitySize = { city: string; users: number };

/** city → the shards its users are dealt to (round robin by user id); one shard: a whole city. */
export type ShardPlan = Record<string, number[]>;

/** Share of the run's users above which a city is split over several shards. */
export const SPLIT_SHARE = 0.5;

export function planShards(cities: readonly CitySize[], shards: number, splitShare = SPLIT_SHARE): ShardPlan {
  if (!(Number.isInteger(shards) && shards >= 1)) throw new RangeError('shards must be a positive integer');
  const total = cities.reduce((n, c) => n + c.users, 0);
  const load = new Float64Array(shards);
  /** The least loaded shard, the smallest index among equals (deterministic). */
  const lightest = (exclude: ReadonlySet<number>): number => {
    let best = -1;
    for (let s = 0; s < shards; s++) {
      if (exclude.has(s)) continue;
      if (best < 0 || load[s]! < load[best]!) best = s;
    }
    return best;
  };
  const plan: ShardPlan = {};
  // Largest cost first; equal sizes by name, so the plan does not depend on the input order.
  const ordered = [...cities].sort(
    (a, b) => b.users - a.users || (a.city < b.city ? -1 : a.city > b.city ? 1 : 0),
  );
  for (const { city, users } of ordered) {
    const cost = users * users;
    const parts =
      shards > 1 && total > 0 && users > splitShare * total
        ? Math.min(shards, Math.max(2, Math.ceil((users * shards) / total)))
        : 1;
    const taken = new Set<number>();
    for (let p = 0; p < parts; p++) {
      const s = lightest(taken);
      taken.add(s);
      // a part queries users/parts users against the whole city: cost users²/parts
      load[s]! += parts === 1 ? cost / 2 : cost / parts;
    }
    plan[city] = [...taken].sort((a, b) => a - b);
  }
  return plan;
}
