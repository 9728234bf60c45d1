import type { CityUser } from './pipeline.repository.ts';

/**
 * The co-presence count `c` of design section 4 for a whole pool at once: every candidate of one
 * user, as a shard needs it. `c(u, v)` is the number of shared non-stop merchants where u and v
 * paid within `gapMinutes` of each other, counted up to 3 (where `min(1, c/3)` saturates);
 * `coPresenceCount` (shard-scoring.ts) is its definition, pair by pair.
 *
 * Pair by pair, a pool of 200 cost 200 walks over each candidate's ~35 merchants and a visit-time
 * merge at each shared one: about 1 µs a pair, half of a shard's cut. Here the city's visits are
 * indexed once per merchant, sorted by minute, and a pool is counted from u's side: for each of
 * u's visits, the window `[t − gap, t + gap]` of that merchant's visits is read, and every
 * visitor in the pool is credited that merchant once. Windows are short (a few dozen visits at
 * the busiest non-stop merchant), so a pool costs about u's visits × a window instead of pool ×
 * candidate's merchants. The same counts as `coPresenceCount` (tests/unit/pipeline/co-presence.test.ts).
 */
export type CoPresenceCounter = {
  /**
   * `out[i] = c(u, candidates[i])` for `i < candidates.length`, each at most 3. Candidates must
   * be distinct users other than u.
   */
  countPool: (u: number, candidates: ArrayLike<number>, out: Int32Array) => void;
};

export function coPresenceCounter(
  users: readonly CityUser[],
  stop: Uint8Array,
  merchantCount: number,
  gapMinutes: number,
): CoPresenceCounter {
  const n = users.length;
  // Only non-stop merchants ever count: the others are left out of the index.
  const visitsAt = new Int32Array(merchantCount + 1);
  for (const u of users) {
    for (let j = 0; j < u.merchants.length; j++) {
      const m = u.merchants[j]!;
      if (stop[m] === 0) visitsAt[m + 1]! += u.visits[j]!;
    }
  }
  for (let m = 0; m < merchantCount; m++) visitsAt[m + 1]! += visitsAt[m]!;
  const total = visitsAt[merchantCount]!;
  // Per user: its non-stop merchants' visit ranges into the same arrays (u's own visits are in
  // the index too, and u is never its own candidate).
  const userStart = new Int32Array(n + 1);
  let entries = 0;
  for (let i = 0; i < n; i++) {
    const u = users[i]!;
    for (let j = 0; j < u.merchants.length; j++) if (stop[u.merchants[j]!] === 0) entries++;
    userStart[i + 1] = entries;
  }
  // u's own visits, entry after entry: entry e's minutes are ownMinute[ownStart[e]..ownStart[e+1])
  const entryMerchant = new Int32Array(entries);
  const ownStart = new Int32Array(entries + 1);
  const ownMinute = new Int32Array(total);
  const ownVisitor = new Int32Array(total);
  const ownMerchant = new Int32Array(total);
  for (let i = 0, e = 0, o = 0; i < n; i++) {
    const u = users[i]!;
    let k = 0;
    for (let j = 0; j < u.merchants.length; j++) {
      const m = u.merchants[j]!;
      const visits = u.visits[j]!;
      if (stop[m] === 0) {
        for (let x = 0; x < visits; x++) {
          ownMinute[o] = u.minutes[k + x]!;
          ownVisitor[o] = i;
          ownMerchant[o++] = m;
        }
        entryMerchant[e] = m;
        ownStart[++e] = o;
      }
      k += visits;
    }
  }
  const { minute, visitor } = visitsByMerchantAndMinute(visitsAt, ownMinute, ownVisitor, ownMerchant);

  // slot[w] = 1 + w's position in the pool being counted (0: not in it); seen[i] = 1 + u's
  // entry that last credited position i (a merchant counts once per candidate).
  const slot = new Int32Array(n);
  const seen = new Int32Array(n);

  return {
    countPool(u, candidates, out) {
      const size = candidates.length;
      for (let i = 0; i < size; i++) {
        slot[candidates[i]!] = i + 1;
        seen[i] = 0;
        out[i] = 0;
      }
      for (let e = userStart[u]!; e < userStart[u + 1]!; e++) {
        const m = entryMerchant[e]!;
        const from = visitsAt[m]!;
        const to = visitsAt[m + 1]!;
        for (let x = ownStart[e]!; x < ownStart[e + 1]!; x++) {
          const t = ownMinute[x]!;
          // first visit at m not before t − gap
          let lo = from;
          let hi = to;
          const start = t - gapMinutes;
          while (lo < hi) {
            const mid = (lo + hi) >>> 1;
            if (minute[mid]! < start) lo = mid + 1;
            else hi = mid;
          }
          const end = t + gapMinutes;
          for (let p = lo; p < to && minute[p]! <= end; p++) {
            const i = slot[visitor[p]!]! - 1;
            if (i < 0 || seen[i] === e + 1) continue;
            seen[i] = e + 1;
            if (out[i]! < 3) out[i]!++;
          }
        }
      }
      for (let i = 0; i < size; i++) slot[candidates[i]!] = 0;
    },
  };
}

/**
 * The visits grouped by merchant (ranges `visitsAt`), each merchant's sorted by minute: one
 * counting sort by minute (minutes count from the window's start, so their range is the window's
 * length), then a stable scatter into the merchants' ranges. Linear, where sorting each
 * merchant's range on its own cost about 1.5 s for a city of 73,000 users.
 */
function visitsByMerchantAndMinute(
  visitsAt: Int32Array,
  minutes: Int32Array,
  visitors: Int32Array,
  merchants: Int32Array,
): { minute: Int32Array; visitor: Int32Array } {
  const total = minutes.length;
  let lo = 0;
  let hi = -1;
  for (let i = 0; i < total; i++) {
    const t = minutes[i]!;
    if (i === 0 || t < lo) lo = t;
    if (i === 0 || t > hi) hi = t;
  }
  const at = new Int32Array(Math.max(0, hi - lo) + 2);
  for (let i = 0; i < total; i++) at[minutes[i]! - lo + 1]!++;
  for (let t = 1; t < at.length; t++) at[t]! += at[t - 1]!;
  const byMinute = new Int32Array(total);
  for (let i = 0; i < total; i++) byMinute[at[minutes[i]! - lo]!++] = i;
  const minute = new Int32Array(total);
  const visitor = new Int32Array(total);
  const fill = visitsAt.slice(0, visitsAt.length - 1);
  for (let r = 0; r < total; r++) {
    const i = byMinute[r]!;
    const slot = fill[merchants[i]!]!++;
    minute[slot] = minutes[i]!;
    visitor[slot] = visitors[i]!;
  }
  return { minute, visitor };
}
