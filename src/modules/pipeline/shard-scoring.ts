import { scaleOverlap, type CandidatePools } from '../../core/scoring/candidates.ts';
import { rerankPool, spendLevelOf, type PoolSignals, type RankedPair } from '../../core/scoring/rerank.ts';
import type { Eligibility } from '../../core/scoring/eligibility.ts';
import type { Exclusions, Ranges } from '../../core/scoring/filters.ts';
import { buildScoringMatrix, type MatrixAllocation, type ScoringMatrix } from '../../core/scoring/matrix.ts';
import { MERCHANT_CATEGORIES, type WeightSet } from '../../core/scoring/weight-set.ts';
import { isEligiblePair, type PairingUser } from '../../core/pairing/index.ts';
import type { Gender } from '../../core/shared/gender.ts';
import type { CoPresenceCounter } from './co-presence.ts';
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
 * `atLo[i]`/`atHi[i]` are entry i's scores at scale lo and hi. O(n log n) with a Fenwick tree.
 */
export function mayReachTopK(atLo: Float64Array, atHi: Float64Array, k: number): Uint8Array {
  const n = atLo.length;
  const keep = new Uint8Array(n);
  if (n <= k) return keep.fill(1);
  const byLo = Array.from({ length: n }, (_, i) => i).sort((a, b) => atLo[b]! - atLo[a]!);
  const hiSorted = Float64Array.from(atHi).sort();
  /** Index of the first sorted value ≥ x (strict) or > x (not strict). */
  const bound = (x: number, strict: boolean): number => {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (strict ? hiSorted[mid]! < x : hiSorted[mid]! <= x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  // Fenwick tree over slots of atHi (an entry's slot: its value's first index in hiSorted).
  const tree = new Int32Array(n + 1);
  let inserted = 0;
  let next = 0;
  for (const j of byLo) {
    // Insert every entry that beats j at scale lo by more than the margin.
    while (next < n && atLo[byLo[next]!]! > atLo[j]! + SCORE_MARGIN) {
      for (let t = bound(atHi[byLo[next]!]!, true) + 1; t <= n; t += t & -t) tree[t]!++;
      inserted++;
      next++;
    }
    // Inserted entries with atHi ≤ atHi[j] + margin sit in the slots below this index.
    let notBeating = 0;
    for (let t = bound(atHi[j]! + SCORE_MARGIN, false); t > 0; t -= t & -t) notBeating += tree[t]!;
    if (inserted - notBeating < k) keep[j] = 1;
  }
  return keep;
}

/**
 * {@link mayReachTopK} with bounds: entry j may be in the top `k` unless `k` others beat it at
 * both ends of the scale interval by more than the margin even when each other is at its lower
 * bound (`lowLo`, `lowHi`) and j at its upper bound (`upLo`, `upHi`). An entry this drops is
 * dropped by `mayReachTopK` on any exact scores within the bounds, and so is any entry that one
 * it drops beats: cutting the rest exactly gives the same result as cutting all of them.
 * With equal lower and upper bounds it is `mayReachTopK`. O(n log n) with a Fenwick tree.
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
  const beaters = Array.from({ length: n }, (_, i) => i).sort((a, b) => lowLo[b]! - lowLo[a]!);
  const targets = Array.from({ length: n }, (_, i) => i).sort((a, b) => upLo[b]! - upLo[a]!);
  const hiSorted = Float64Array.from(lowHi).sort();
  /** Number of sorted lowHi values ≤ x. */
  const atMost = (x: number): number => {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (hiSorted[mid]! <= x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  /** An entry's slot: the first index of its lowHi value in hiSorted (1-based for the tree). */
  const slotOf = (x: number): number => {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (hiSorted[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
  const tree = new Int32Array(n + 1);
  let inserted = 0;
  let next = 0;
  for (const j of targets) {
    // Insert every entry whose lower bound beats j's upper bound at scale lo by more than the margin.
    while (next < n && lowLo[beaters[next]!]! > upLo[j]! + SCORE_MARGIN) {
      for (let t = slotOf(lowHi[beaters[next]!]!); t <= n; t += t & -t) tree[t]!++;
      inserted++;
      next++;
    }
    // Of those, the ones with lowHi ≤ upHi[j] + margin do not beat j at scale hi.
    let notBeating = 0;
    for (let t = atMost(upHi[j]! + SCORE_MARGIN); t > 0; t -= t & -t) notBeating += tree[t]!;
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
};

/**
 * A shard's stored pools: for each query user, the candidates that can be in its `topK` by the
 * full score (the core's `rerankPool`) for any run scale in [scaleLo, scaleHi], with the raw
 * overlap and the scale-free components (co-presence, spend level, shared count). The pair stage
 * knows the run's scale and makes the exact cut. Blocks, the cooldown and age ranges were applied
 * during generation, so every pool entry is admissible.
 * Cosine needs no scale: its pools are cut to `topK` here.
 */
export function shardCandidates({ context, pools, weights, scaleLo, scaleHi }: ShardInput): CandidateRow[] {
  const { users, avgTicket, coPresence } = context;
  const { normalization, topK, blend, minSharedMerchants } = weights;
  const rows: CandidateRow[] = [];
  const all = { ...weights, topK: Number.MAX_SAFE_INTEGER };
  /** rerankPool's score for an overlap, a co-presence in [0, 1] and a spend level (same expression). */
  const scoreOf = (o: number, cp: number, sl: number): number =>
    Math.min(1, blend.overlap * o + blend.coPresence * cp + blend.spendLevel * sl);
  const clamp = (x: number): number => Math.min(1, Math.max(0, x));
  for (let i = 0; i < pools.users.length; i++) {
    const uIdx = pools.users[i]!;
    const u = users[uIdx]!;
    // Entries below minSharedMerchants score 0 and rerankPool drops them: never chosen.
    const entries: number[] = [];
    for (let p = pools.offsets[i]!; p < pools.offsets[i + 1]!; p++) {
      if (pools.shared[p]! >= minSharedMerchants) entries.push(p);
    }
    if (entries.length === 0) continue;
    // Bounds without the co-presence (0 ≤ coPresence ≤ 1, and the score grows with it): an entry
    // that topK others beat at both ends of the scale even at their lowest and its highest is
    // never chosen (`mayReachTopKBounds`), so its co-presence is not computed. The exact cut
    // below then gives the same pool as over every entry (tests/unit/pipeline/shard-cut.test.ts).
    const n = entries.length;
    const lowLo = new Float64Array(n);
    const lowHi = new Float64Array(n);
    const upLo = new Float64Array(n);
    const upHi = new Float64Array(n);
    for (let e = 0; e < n; e++) {
      const p = entries[e]!;
      const sl = spendLevelOf(avgTicket[uIdx]!, avgTicket[pools.candidates[p]!]!);
      const oLo = clamp(scaleOverlap(pools.overlap[p]!, normalization, scaleLo));
      const oHi = clamp(scaleOverlap(pools.overlap[p]!, normalization, scaleHi));
      lowLo[e] = scoreOf(oLo, 0, sl);
      upLo[e] = scoreOf(oLo, 1, sl);
      lowHi[e] = scoreOf(oHi, 0, sl);
      upHi[e] = scoreOf(oHi, 1, sl);
    }
    const maybe = mayReachTopKBounds(lowLo, lowHi, upLo, upHi, topK);
    const kept = entries.filter((_, e) => maybe[e] === 1);
    const candidates = Int32Array.from(kept, (p) => pools.candidates[p]!);
    const raw = Float64Array.from(kept, (p) => pools.overlap[p]!);
    const shared = Int32Array.from(kept, (p) => pools.shared[p]!);
    coPresence.use(uIdx);
    const cpCount = Int32Array.from(kept, (p) => coPresence.count(pools.candidates[p]!));
    const signals = (scale: number): PoolSignals => ({
      candidates,
      overlap: raw.map((x) => scaleOverlap(x, normalization, scale)),
      shared,
      coPresenceCount: cpCount,
      avgTicketUser: avgTicket[uIdx]!,
      avgTicketCandidate: Float64Array.from(candidates, (c) => avgTicket[c]!),
    });
    // Position of each candidate in this user's list (candidates are distinct).
    const position = new Map<number, number>();
    candidates.forEach((c, j) => position.set(c, j));
    const ranked = rerankPool(signals(scaleLo), all);
    let chosen: RankedPair[];
    if (normalization === 'cosine') {
      chosen = ranked.slice(0, topK);
    } else {
      const atLo = new Float64Array(ranked.length);
      const atHi = new Float64Array(ranked.length);
      ranked.forEach((r, j) => (atLo[j] = r.score));
      const byCandidate = new Map<number, number>();
      for (const r of rerankPool(signals(scaleHi), all)) byCandidate.set(r.candidate, r.score);
      ranked.forEach((r, j) => (atHi[j] = byCandidate.get(r.candidate) ?? 0));
      const keep = mayReachTopK(atLo, atHi, topK);
      chosen = ranked.filter((_, j) => keep[j] === 1);
    }
    if (chosen.length === 0) continue;
    rows.push({
      userId: u.userId,
      candidateIds: chosen.map((r) => users[r.candidate]!.userId),
      scores: chosen.map((r) => Math.fround(r.score)),
      overlap: chosen.map((r) => Math.fround(raw[position.get(r.candidate)!]!)),
      coPresence: chosen.map((r) => Math.fround(r.coPresence)),
      spendLevel: chosen.map((r) => Math.fround(r.spendLevel)),
      shared: chosen.map((r) => r.sharedMerchantCount),
    });
  }
  return rows;
}
