import type { CityUser } from './pipeline.repository.ts';

/**
 * The co-presence count `c` of design section 4 for many pairs that share their first user, as a
 * shard needs it: every candidate of one user's pool. `coPresenceCount` (shard-scoring.ts) merges
 * both users' merchant lists for every pair; a pool of 200 costs 200 merges of ~80 steps over
 * boxed arrays, which was the largest single cost of a shard. Here the first user's non-stop
 * merchants are written once into a dense slot table, and each candidate's merchants are looked
 * up in it: one probe per merchant of the candidate, then the visit-time merge only at merchants
 * both visited. Visits live in flat typed arrays built once per run. Same result as
 * `coPresenceCount` (tests/unit/pipeline/co-presence.test.ts).
 */
export type CoPresenceCounter = {
  /** Makes `u` the first user of the next `count` calls. */
  use: (u: number) => void;
  /** `c` for the current user and `v`, counted up to 3 (where `min(1, c/3)` saturates). */
  count: (v: number) => number;
};

export function coPresenceCounter(
  users: readonly CityUser[],
  stop: Uint8Array,
  merchantCount: number,
  gapMinutes: number,
): CoPresenceCounter {
  // Only non-stop merchants ever count: the others are left out of the lists (a user visits
  // several of the few stop merchants, so this also shortens every scan).
  const n = users.length;
  const listStart = new Int32Array(n + 1);
  let entries = 0;
  let minutesTotal = 0;
  for (let i = 0; i < n; i++) {
    const u = users[i]!;
    for (let j = 0; j < u.merchants.length; j++) {
      if (stop[u.merchants[j]!] !== 0) continue;
      entries++;
      minutesTotal += u.visits[j]!;
    }
    listStart[i + 1] = entries;
  }
  const merchant = new Int32Array(entries);
  const visitStart = new Int32Array(entries + 1);
  const minutes = new Int32Array(minutesTotal);
  let e = 0;
  let m = 0;
  for (const u of users) {
    let k = 0;
    for (let j = 0; j < u.merchants.length; j++) {
      const visits = u.visits[j]!;
      if (stop[u.merchants[j]!] !== 0) {
        k += visits;
        continue;
      }
      merchant[e] = u.merchants[j]!;
      visitStart[e] = m;
      for (let x = 0; x < visits; x++) minutes[m++] = u.minutes[k++]!;
      e++;
    }
  }
  visitStart[entries] = m;

  // slot[merchant] = 1 + the current user's entry at that merchant (0: not visited).
  const slot = new Int32Array(merchantCount);
  let current = -1;

  const anyWithin = (as: number, ae: number, bs: number, be: number): boolean => {
    let i = as;
    let j = bs;
    while (i < ae && j < be) {
      const x = minutes[i]!;
      const y = minutes[j]!;
      if (x - y <= gapMinutes && y - x <= gapMinutes) return true;
      if (x < y) i++;
      else j++;
    }
    return false;
  };

  return {
    use(u) {
      if (current >= 0) {
        for (let p = listStart[current]!; p < listStart[current + 1]!; p++) slot[merchant[p]!] = 0;
      }
      current = u;
      for (let p = listStart[u]!; p < listStart[u + 1]!; p++) slot[merchant[p]!] = p + 1;
    },
    count(v) {
      let c = 0;
      for (let q = listStart[v]!; q < listStart[v + 1]!; q++) {
        const p = slot[merchant[q]!]! - 1;
        if (p < 0) continue;
        if (anyWithin(visitStart[p]!, visitStart[p + 1]!, visitStart[q]!, visitStart[q + 1]!)) {
          c++;
          if (c >= 3) return 3;
        }
      }
      return c;
    },
  };
}
