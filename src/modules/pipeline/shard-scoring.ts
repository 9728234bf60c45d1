import { scaleOverlap, type CandidatePools } from '../../core/scoring/candidates.ts';
import { blendScore, coPresenceOf, spendLevelOf } from '../../core/scoring/rerank.ts';
import type { Eligibility } from '../../core/scoring/eligibility.ts';
import type { Exclusions, Ranges } from '../../core/scoring/filters.ts';
import { buildScoringMatrix, type MatrixAllocation, type ScoringMatrix } from '../../core/scoring/matrix.ts';
import { MERCHANT_CATEGORIES, type WeightSet } from '../../core/scoring/weight-set.ts';
import { isEligiblePair, type PairingUser } from '../../core/pairing/index.ts';
import type { Gender } from '../../core/shared/gender.ts';
import type { CoPresenceCounter } from './co-presence.ts';
import { indicesByKeyDesc } from '../../core/shared/index-sort.ts';
import type { CandidateRow, CityUser, RunMerchants } from './pipeline.repository.ts';

/**
 * The scoring of one shard: the run's matrix (global N and df, as design section 4 defines idf),
 * the shard users' exact pools restricted by an eligibility filter during generation, then the
 * candidates that can still reach the user's `topK` once the run's overlap scale is known (the
 * pair stage, which sees every shard, makes the exact cut with the core's `rerankPool`).
 *
 * Eligibility during generation (docs/pipeline.md): groups of identical (city, gender, seeking,
 * verified, onlyVerified) admitted pairwise by the pairing core's `isEligiblePair`, each user's age
 * range, and the blocks and cooldown pairs as per-user exclusions. All three are applied by the
 * core while it scans, so a pool holds only admissible candidates.
 */

const CATEGORY_INDEX = new Map<string, number>(MERCHANT_CATEGORIES.map((c, i) => [c, i]));

/** The run's index as a worker process keeps it between the shards it scores. */
export type CityContext = {
  users: CityUser[];
  matrix: ScoringMatrix;
  query: Int32Array;
  avgTicket: Float64Array;
  coPresence: CoPresenceCounter;
};

/**
 * A snapshot user as the pairing core takes them, with no candidates yet. The snapshot holds only
 * users eligible at prepare time: not suspended, both consents current.
 */
export function asPairingUser(u: CityUser): PairingUser {
  return {
    id: u.userId,
    city: u.city,
    gender: u.gender as Gender,
    seeking: u.seeking as Gender[],
    age: u.age,
    ageMin: u.ageMin,
    ageMax: u.ageMax,
    verified: u.verified,
    onlyVerified: u.onlyVerified,
    suspended: false,
    consentTransactions: true,
    consentMatching: true,
    candidates: { indices: [], scores: [], sharedCounts: [] },
  };
}

const OPEN_FACTS = { blocked: false, pairedRecently: false, sharedMerchants: 10, minSharedMerchants: 1 };

/**
 * Groups users by the attributes the group rules read (city, gender, seeking, verification); the
 * G×G admissibility matrix. Age ranges, blocks and the cooldown are per person: they go to the
 * core as `ranges` and `exclude` ({@link pairFilters}), also applied during generation.
 */
export function buildEligibility(users: readonly CityUser[]): Eligibility {
  const keys = new Map<string, number>();
  const reps: PairingUser[] = [];
  const group = new Int32Array(users.length);
  users.forEach((u, i) => {
    const key = [
      u.city,
      u.gender,
      [...u.seeking].sort().join('+'),
      u.verified ? 1 : 0,
      u.onlyVerified ? 1 : 0,
    ].join('|');
    let g = keys.get(key);
    if (g === undefined) {
      g = reps.length;
      keys.set(key, g);
      // The representative admits every age: ages are the `ranges` filter's.
      reps.push({ ...asPairingUser(u), age: 18, ageMin: 0, ageMax: 1000 });
    }
    group[i] = g;
  });
  const G = reps.length;
  const mayPair = new Uint8Array(G * G);
  for (let a = 0; a < G; a++) {
    for (let b = a; b < G; b++) {
      const ok = isEligiblePair({ ...reps[a]!, id: 'a' }, { ...reps[b]!, id: 'b' }, OPEN_FACTS) ? 1 : 0;
      mayPair[a * G + b] = ok;
      mayPair[b * G + a] = ok;
    }
  }
  return { group, groupCount: G, mayPair };
}

/** Each user's age and accepted range, for the core's `ranges` filter. */
export function ageRanges(users: readonly CityUser[]): Ranges {
  return {
    value: Int16Array.from(users, (u) => u.age),
    min: Int16Array.from(users, (u) => u.ageMin),
    max: Int16Array.from(users, (u) => u.ageMax),
  };
}

/**
 * Pairs that may never be candidates (blocks, pairs within the cooldown), as the core's CSR
 * `exclude` list over the users' indices; one direction per pair is enough (the core symmetrises).
 */
export function exclusionsOf(
  users: readonly CityUser[],
  pairs: Iterable<readonly [string, string]>,
): Exclusions {
  const indexOf = new Map(users.map((u, i) => [u.userId, i]));
  const from: number[] = [];
  const to: number[] = [];
  for (const [a, b] of pairs) {
    const ia = indexOf.get(a);
    const ib = indexOf.get(b);
    if (ia === undefined || ib === undefined) continue;
    from.push(ia);
    to.push(ib);
  }
  const offsets = new Int32Array(users.length + 1);
  for (const f of from) offsets[f + 1]! += 1;
  for (let i = 0; i < users.length; i++) offsets[i + 1]! += offsets[i]!;
  const fill = offsets.slice(0, users.length);
  const ids = new Int32Array(from.length);
  from.forEach((f, k) => {
    ids[fill[f]!] = to[k]!;
    fill[f]! += 1;
  });
  return { offsets, ids };
}

/** A user's features as the matrix reads them. */
export type FeatureRow = Pick<CityUser, 'merchants' | 'visits' | 'lastDays'>;

/**
 * The matrix of the given users over the run's merchant index: idf from these users, or from the
 * run's population when `options.population` is given (a city scored alone).
 */
export function buildCityMatrix(
  users: readonly FeatureRow[],
  merchants: RunMerchants,
  weights: WeightSet,
  options: MatrixAllocation = {},
): ScoringMatrix {
  let rows = 0;
  for (const u of users) rows += u.merchants.length;
  const user = new Int32Array(rows);
  const merchant = new Int32Array(rows);
  const visits = new Int32Array(rows);
  const lastVisitDay = new Int32Array(rows);
  let r = 0;
  users.forEach((u, i) => {
    for (let j = 0; j < u.merchants.length; j++) {
      user[r] = i;
      merchant[r] = u.merchants[j]!;
      visits[r] = u.visits[j]!;
      lastVisitDay[r] = u.lastDays[j]!;
      r++;
    }
  });
  const merchantCategory = new Uint8Array(merchants.categories.length);
  merchants.categories.forEach((c, m) => {
    merchantCategory[m] = CATEGORY_INDEX.get(c) ?? CATEGORY_INDEX.get('other')!;
  });
  return buildScoringMatrix(
    {
      userCount: users.length,
      merchantCount: merchants.categories.length,
      user,
      merchant,
      visits,
      lastVisitDay,
      merchantCategory,
    },
    weights,
    options,
  );
}

/** Where each merchant's visit minutes start in a user's flattened `minutes` list. */
export function minuteOffsets(u: CityUser): Int32Array {
  const starts = new Int32Array(u.merchants.length + 1);
  for (let j = 0; j < u.merchants.length; j++) starts[j + 1] = starts[j]! + u.visits[j]!;
  return starts;
}

function anyWithin(
  a: readonly number[],
  as: number,
  ae: number,
  b: readonly number[],
  bs: number,
  be: number,
  gap: number,
): boolean {
  let i = as;
  let j = bs;
  while (i < ae && j < be) {
    const x = a[i]!;
    const y = b[j]!;
    if (Math.abs(x - y) <= gap) return true;
    if (x < y) i++;
    else j++;
  }
  return false;
}

/**
 * The `c` of `coPresence(u,v) = min(1, c/3)`: shared non-stop merchants where u and v paid within
 * `minutes` of each other (both visit lists are sorted, so a merge finds the closest times).
 * Counting stops at 3, where the core's `coPresenceOf` saturates.
 */
export function coPresenceCount(
  u: CityUser,
  uStart: Int32Array,
  v: CityUser,
  vStart: Int32Array,
  stop: Uint8Array,
  minutes: number,
): number {
  let i = 0;
  let j = 0;
  let c = 0;
  while (i < u.merchants.length && j < v.merchants.length) {
    const a = u.merchants[i]!;
    const b = v.merchants[j]!;
    if (a < b) i++;
    else if (b < a) j++;
    else {
      if (
        stop[a] === 0 &&
        anyWithin(u.minutes, uStart[i]!, uStart[i + 1]!, v.minutes, vStart[j]!, vStart[j + 1]!, minutes)
      ) {
        c++;
        if (c >= 3) return 3;
      }
      i++;
      j++;
    }
  }
  return c;
}

/**
 * The largest overlap any pair of the run can have, from the norms alone (Cauchy–Schwarz:
 * `Σ w_u·w_v ≤ ‖w_u‖·‖w_v‖`): `max‖w‖` for `sqrt`, `max‖w‖²` for `none`, 1 for cosine. The run's
 * scale lies between a shard's own largest pair and this bound.
 */
export function overlapScaleBound(matrix: ScoringMatrix): number {
  let max = 0;
  for (const n of matrix.weightNorm) if (n > max) max = n;
  const bound = matrix.normalization === 'none' ? max * max : matrix.normalization === 'sqrt' ? max : 1;
  return bound * (1 + 1e-9);
}

/** Scores closer than this are treated as possibly equal (float32 storage, rounding). */
const SCORE_MARGIN = 1e-5;

/**
 * Which entries may be in the top `k` for some overlap scale in [lo, hi]. With `t = 1/scale`,
 * every full score is affine in t (`blend.overlap·raw·t + rest`; no clamp is active since
 * raw ≤ lo), so an entry beaten by the same `k` others at both ends of the interval, by more than
 * the margin, is beaten by them everywhere in it and is never in the top k. The rest are kept:
 * `atLo[i]`/`atHi[i]` are entry i's scores at scale lo and hi. {@link mayReachTopKBounds} with
 * exact scores for bounds.
 */
export function mayReachTopK(atLo: Float64Array, atHi: Float64Array, k: number): Uint8Array {
  return mayReachTopKBounds(atLo, atHi, atLo, atHi, k);
}

/**
 * {@link mayReachTopK} for entries already in descending `lo` order (the cut ranks its pools by
 * score at scale lo), in O(n log k): walking the entries in that order, the ones beating entry j
 * at scale lo (`lo_i > lo_j + margin`) are a prefix, inserted as j advances; j is beaten at both
 * ends by k of them exactly when the k largest `hi` among them all exceed `hi_j + margin`, the
 * root of a k-entry min-heap. `keep` and `heap` may be passed in to be reused.
 */
export function mayReachTopKRanked(
  lo: Float64Array,
  hi: Float64Array,
  k: number,
  keep: Uint8Array = new Uint8Array(lo.length),
  heap: Float64Array = new Float64Array(k),
): Uint8Array {
  const n = lo.length;
  if (n <= k) return keep.fill(1, 0, n);
  let size = 0;
  let next = 0;
  for (let j = 0; j < n; j++) {
    const reach = lo[j]! + SCORE_MARGIN;
    for (; next < n && lo[next]! > reach; next++) {
      const x = hi[next]!;
      if (size < k) {
        // sift up
        let i = size++;
        while (i > 0) {
          const parent = (i - 1) >> 1;
          if (heap[parent]! <= x) break;
          heap[i] = heap[parent]!;
          i = parent;
        }
        heap[i] = x;
      } else if (x > heap[0]!) {
        // replace the smallest, sift down
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          if (l >= k) break;
          const c = l + 1 < k && heap[l + 1]! < heap[l]! ? l + 1 : l;
          if (heap[c]! >= x) break;
          heap[i] = heap[c]!;
          i = c;
        }
        heap[i] = x;
      }
    }
    keep[j] = size === k && heap[0]! > hi[j]! + SCORE_MARGIN ? 0 : 1;
  }
  return keep;
}

/** Number of `sorted[0..n)` (ascending) that are `< x` (strict) or `≤ x`. */
function countBelow(sorted: Float64Array, n: number, x: number, strict: boolean): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (strict ? sorted[mid]! < x : sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * {@link mayReachTopK} with bounds: entry j may be in the top `k` unless `k` others beat it at
 * both ends of the scale interval by more than the margin even when each other is at its lower
 * bound (`lowLo`, `lowHi`) and j at its upper bound (`upLo`, `upHi`). An entry this drops is
 * dropped by `mayReachTopK` on any exact scores within the bounds, and so is any entry that one
 * it drops beats: cutting the rest exactly gives the same result as cutting all of them.
 * With equal lower and upper bounds it is `mayReachTopK`. O(n log n): the targets by `upLo`
 * descending meet the beaters by `lowLo` descending, counted by `lowHi` in a Fenwick tree.
 */
export function mayReachTopKBounds(
  lowLo: Float64Array,
  lowHi: Float64Array,
  upLo: Float64Array,
  upHi: Float64Array,
  k: number,
): Uint8Array {
  const n = lowLo.length;
  const keep = new Uint8Array(n);
  if (n <= k) return keep.fill(1);
  // Ties need no order: the beaters of a target are every entry above its value, a prefix either way.
  const beaters = indicesByKeyDesc(lowLo);
  const targets = indicesByKeyDesc(upLo);
  const hiSorted = Float64Array.from(lowHi).sort();
  const tree = new Int32Array(n + 1);
  let inserted = 0;
  let next = 0;
  for (let t = 0; t < n; t++) {
    const j = targets[t]!;
    const reachLo = upLo[j]! + SCORE_MARGIN;
    // Insert every entry whose lower bound beats j's upper bound at scale lo by more than the
    // margin, in the slot of its lowHi value (its first index in hiSorted, 1-based).
    while (next < n && lowLo[beaters[next]!]! > reachLo) {
      for (let x = countBelow(hiSorted, n, lowHi[beaters[next]!]!, true) + 1; x <= n; x += x & -x) tree[x]!++;
      inserted++;
      next++;
    }
    // Of those, the ones with lowHi ≤ upHi[j] + margin do not beat j at scale hi.
    let notBeating = 0;
    for (let x = countBelow(hiSorted, n, upHi[j]! + SCORE_MARGIN, false); x > 0; x -= x & -x)
      notBeating += tree[x]!;
    if (inserted - notBeating < k) keep[j] = 1;
  }
  return keep;
}

/** Everything a shard needs besides its pools. */
export type ShardInput = {
  context: CityContext;
  pools: CandidatePools;
  weights: WeightSet;
  /** The shard's largest pair, and the bound on the run's ({@link overlapScaleBound}). */
  scaleLo: number;
  scaleHi: number;
  /**
   * Whether the co-presence-free bounds run before the co-presences (`auto`: until they have
   * dropped under 5 % of the entries of the first 1,000 users). The stored rows are the same
   * either way; the bounds only save co-presences when they drop entries.
   */
  bounds?: 'auto' | 'always' | 'never';
  /**
   * The `auto` decision carried over the slices of one pool set ({@link slicePools}): give every
   * slice the same trial, and the bounds are decided once, on the first 1,000 users of all.
   */
  trial?: BoundsTrial;
};

/** `auto` bounds: users seen before deciding, and the share of entries they must drop. */
const BOUNDS_TRIAL_USERS = 1_000;
const BOUNDS_MIN_DROPPED = 0.05;

/** Where the `auto` bounds stand: users and entries seen, entries dropped, bounds still on. */
export type BoundsTrial = { users: number; entries: number; dropped: number; use: boolean };

export const newBoundsTrial = (bounds: 'auto' | 'always' | 'never' = 'auto'): BoundsTrial => ({
  users: 0,
  entries: 0,
  dropped: 0,
  use: bounds !== 'never',
});

/**
 * The pools of users `[from, to)` of `pools`, as views (offsets stay absolute positions into the
 * shared entry arrays): a large pool set is cut slice by slice, so that the job's thread can
 * yield between slices and BullMQ keeps renewing its lock.
 */
export function slicePools(pools: CandidatePools, from: number, to: number): CandidatePools {
  return {
    ...pools,
    users: pools.users.subarray(from, to),
    offsets: pools.offsets.subarray(from, to + 1),
  };
}

/**
 * A shard's stored pools: for each query user, the candidates that can be in its `topK` by the
 * full score (the core's `rerankPool`) for any run scale in [scaleLo, scaleHi], with the raw
 * overlap and the scale-free components (co-presence, spend level, shared count). The pair stage
 * knows the run's scale and makes the exact cut. Blocks, the cooldown and age ranges were applied
 * during generation, so every pool entry is admissible.
 * Cosine needs no scale: its pools are cut to `topK` here.
 */
export function shardCandidates({
  context,
  pools,
  weights,
  scaleLo,
  scaleHi,
  bounds = 'auto',
  trial = newBoundsTrial(bounds),
}: ShardInput): CandidateRow[] {
  const { users, avgTicket, coPresence } = context;
  const { normalization, topK, blend, minSharedMerchants } = weights;
  const rows: CandidateRow[] = [];
  let longest = 0;
  for (let i = 0; i < pools.users.length; i++)
    longest = Math.max(longest, pools.offsets[i + 1]! - pools.offsets[i]!);
  // Per entry of the current user's pool, reused from user to user: pool position, scale-free
  // components, bounds; then the survivors' candidates, components and scores at both ends.
  const entry = new Int32Array(longest);
  const spend = new Float64Array(longest);
  const lowLo = new Float64Array(longest);
  const lowHi = new Float64Array(longest);
  const upLo = new Float64Array(longest);
  const upHi = new Float64Array(longest);
  const at = new Int32Array(longest);
  const candidate = new Int32Array(longest);
  const cpCount = new Int32Array(longest);
  const cp = new Float64Array(longest);
  const sl = new Float64Array(longest);
  const atLo = new Float64Array(longest);
  const atHi = new Float64Array(longest);
  const rankedLo = new Float64Array(longest);
  const rankedHi = new Float64Array(longest);
  const keepBuf = new Uint8Array(longest);
  const heapBuf = new Float64Array(topK);
  // With the default blend, co-presence and spend level (0.2) move an entry more than the spread
  // of a pool's overlaps, and the bounds drop almost nothing (452 of 2.3 M entries for one city
  // of the 200,000-user benchmark).
  for (let i = 0; i < pools.users.length; i++) {
    const uIdx = pools.users[i]!;
    const ticket = avgTicket[uIdx]!;
    // Entries below minSharedMerchants score 0 and rerankPool drops them: never chosen.
    let n = 0;
    for (let p = pools.offsets[i]!; p < pools.offsets[i + 1]!; p++) {
      if (pools.shared[p]! >= minSharedMerchants) entry[n++] = p;
    }
    if (n === 0) continue;
    // Bounds without the co-presence (0 ≤ coPresence ≤ 1, and the score grows with it): an entry
    // that topK others beat at both ends of the scale even at their lowest and its highest is
    // never chosen (`mayReachTopKBounds`), so its co-presence is not computed. The exact cut
    // below then gives the same pool as over every entry (tests/unit/pipeline/shard-cut.test.ts).
    for (let e = 0; e < n; e++) {
      const p = entry[e]!;
      const level = spendLevelOf(ticket, avgTicket[pools.candidates[p]!]!);
      spend[e] = level;
      if (!trial.use) continue;
      const oLo = scaleOverlap(pools.overlap[p]!, normalization, scaleLo);
      const oHi = scaleOverlap(pools.overlap[p]!, normalization, scaleHi);
      lowLo[e] = blendScore(blend, oLo, 0, level);
      upLo[e] = blendScore(blend, oLo, 1, level);
      lowHi[e] = blendScore(blend, oHi, 0, level);
      upHi[e] = blendScore(blend, oHi, 1, level);
    }
    const maybe = trial.use
      ? mayReachTopKBounds(
          lowLo.subarray(0, n),
          lowHi.subarray(0, n),
          upLo.subarray(0, n),
          upHi.subarray(0, n),
          topK,
        )
      : undefined;
    // The survivors, in pool order.
    let m = 0;
    for (let e = 0; e < n; e++) {
      if (maybe !== undefined && maybe[e] !== 1) continue;
      const p = entry[e]!;
      at[m] = p;
      candidate[m] = pools.candidates[p]!;
      sl[m] = spend[e]!;
      m++;
    }
    if (trial.use && bounds === 'auto' && trial.users < BOUNDS_TRIAL_USERS) {
      trial.users++;
      trial.entries += n;
      trial.dropped += n - m;
      if (trial.users === BOUNDS_TRIAL_USERS) trial.use = trial.dropped >= BOUNDS_MIN_DROPPED * trial.entries;
    }
    // The survivors' exact components and scores at both ends: rerankPool's, term for term.
    coPresence.countPool(uIdx, candidate.subarray(0, m), cpCount);
    for (let j = 0; j < m; j++) {
      const raw = pools.overlap[at[j]!]!;
      cp[j] = coPresenceOf(cpCount[j]!);
      atLo[j] = blendScore(blend, scaleOverlap(raw, normalization, scaleLo), cp[j]!, sl[j]!);
      atHi[j] = blendScore(blend, scaleOverlap(raw, normalization, scaleHi), cp[j]!, sl[j]!);
    }
    // rerankPool's order at scale lo: score descending, then the smaller candidate index.
    const ranked = indicesByKeyDesc(atLo, m, candidate);
    let chosen: Int32Array;
    if (normalization === 'cosine' || m <= topK) {
      // cosine needs no scale; a pool of at most topK keeps every entry at any scale
      chosen = ranked.subarray(0, Math.min(topK, m));
    } else {
      for (let r = 0; r < m; r++) {
        rankedLo[r] = atLo[ranked[r]!]!;
        rankedHi[r] = atHi[ranked[r]!]!;
      }
      const keep = mayReachTopKRanked(
        rankedLo.subarray(0, m),
        rankedHi.subarray(0, m),
        topK,
        keepBuf,
        heapBuf,
      );
      let kept = 0;
      for (let r = 0; r < m; r++) if (keep[r] === 1) ranked[kept++] = ranked[r]!;
      chosen = ranked.subarray(0, kept);
    }
    if (chosen.length === 0) continue;
    const size = chosen.length;
    const row = {
      userId: users[uIdx]!.userId,
      candidateIds: new Array<string>(size),
      scores: new Float32Array(size),
      overlap: new Float32Array(size),
      coPresence: new Float32Array(size),
      spendLevel: new Float32Array(size),
      shared: new Int16Array(size),
    };
    for (let r = 0; r < size; r++) {
      const j = chosen[r]!;
      row.candidateIds[r] = users[candidate[j]!]!.userId;
      row.scores[r] = atLo[j]!;
      row.overlap[r] = pools.overlap[at[j]!]!;
      row.coPresence[r] = cp[j]!;
      row.spendLevel[r] = sl[j]!;
      row.shared[r] = pools.shared[at[j]!]!;
    }
    rows.push(row);
  }
  return rows;
}
