import type { CandidatePools } from '../../core/scoring/candidates.ts';
import type { Eligibility } from '../../core/scoring/eligibility.ts';
import { buildScoringMatrix, type ScoringMatrix } from '../../core/scoring/matrix.ts';
import { MERCHANT_CATEGORIES, type WeightSet } from '../../core/scoring/weight-set.ts';
import { isEligiblePair, type PairingUser } from '../../core/pairing/index.ts';
import type { Gender } from '../../core/shared/gender.ts';
import type { CandidateRow, CityUser, RunMerchants } from './pipeline.repository.ts';

/**
 * The scoring of one shard: the run's matrix (global N and df, as design section 4 defines idf),
 * the shard users' exact pools restricted by an eligibility filter during generation, then the
 * re-rank by the full score.
 *
 * Eligibility during generation: users fall into groups of identical (city, gender, seeking, age,
 * age range, verified, onlyVerified), and the filter admits a pair of groups when the pairing
 * core's `isEligiblePair` does. Blocks and the repeat
 * cooldown are relations between individuals, which a group filter cannot express: they are
 * removed from the pools after generation, so a user with blocks may keep fewer than
 * `candidatePoolSize` candidates. When the run has more than MAX_GROUPS distinct groups, ages
 * leave the group key and age ranges are checked after generation in the same way.
 */

export const MAX_GROUPS = 4096;

const CATEGORY_INDEX = new Map<string, number>(MERCHANT_CATEGORIES.map((c, i) => [c, i]));

/** The run's index as a worker process keeps it between the shards it scores. */
export type CityContext = {
  users: CityUser[];
  matrix: ScoringMatrix;
  query: Int32Array;
  minuteStart: Int32Array[];
  avgTicket: Float64Array;
  ageInFilter: boolean;
};

function asPairingUser(u: CityUser): PairingUser {
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

/** Groups users by the attributes the eligibility rules read; the G×G admissibility matrix. */
export function buildEligibility(users: readonly CityUser[]): {
  eligibility: Eligibility;
  ageInFilter: boolean;
} {
  const attempt = (withAge: boolean) => {
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
        ...(withAge ? [u.age, u.ageMin, u.ageMax] : []),
      ].join('|');
      let g = keys.get(key);
      if (g === undefined) {
        g = reps.length;
        keys.set(key, g);
        const rep = asPairingUser(u);
        // Without ages in the key, the representative admits every age (checked after generation).
        reps.push(withAge ? rep : { ...rep, age: 18, ageMin: 0, ageMax: 1000 });
      }
      group[i] = g;
    });
    return { group, reps };
  };
  let ageInFilter = true;
  let { group, reps } = attempt(true);
  if (reps.length > MAX_GROUPS) {
    ageInFilter = false;
    ({ group, reps } = attempt(false));
  }
  const G = reps.length;
  const mayPair = new Uint8Array(G * G);
  for (let a = 0; a < G; a++) {
    for (let b = a; b < G; b++) {
      const ok = isEligiblePair({ ...reps[a]!, id: 'a' }, { ...reps[b]!, id: 'b' }, OPEN_FACTS) ? 1 : 0;
      mayPair[a * G + b] = ok;
      mayPair[b * G + a] = ok;
    }
  }
  return { eligibility: { group, groupCount: G, mayPair }, ageInFilter };
}

/** The matrix of the given users over the run's merchant index (idf from these users). */
export function buildCityMatrix(
  users: readonly CityUser[],
  merchants: RunMerchants,
  weights: WeightSet,
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
 * `coPresence(u,v) = min(1, c/3)`, c the shared non-stop merchants where u and v paid within
 * `minutes` of each other (both visit lists are sorted, so a merge finds the closest times).
 */
export function coPresence(
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
        if (c >= 3) return 1;
      }
      i++;
      j++;
    }
  }
  return c / 3;
}

/** `spendLevel(u,v) = exp(−|ln(avgTicket_u / avgTicket_v)|)` = the smaller over the larger ticket. */
export function spendLevel(a: number, b: number): number {
  if (!(a > 0) || !(b > 0)) return 0;
  return a < b ? a / b : b / a;
}

export type RerankInput = {
  context: CityContext;
  pools: CandidatePools;
  weights: WeightSet;
  /** The scale of `overlap`: the shard's largest pair for sqrt/none, 1 for cosine. */
  scale: number;
  excluded: (a: string, b: string) => boolean;
};

/**
 * Re-ranks each pool by `blend.overlap·overlap/scale + blend.coPresence·coPresence +
 * blend.spendLevel·spendLevel` and keeps the best `topK` (ties by the smaller user id). Pairs
 * excluded by blocks or the cooldown, and pairs out of each other's age range when ages were not
 * in the filter, are dropped first.
 */
export function rerank({ context, pools, weights, scale, excluded }: RerankInput): CandidateRow[] {
  const { users, matrix, minuteStart, avgTicket, ageInFilter } = context;
  const { blend, topK, coPresenceMinutes, normalization } = weights;
  const rows: CandidateRow[] = [];
  for (let i = 0; i < pools.users.length; i++) {
    const uIdx = pools.users[i]!;
    const u = users[uIdx]!;
    const entries: Array<{ v: number; score: number; ov: number; cp: number; sl: number; sh: number }> = [];
    for (let p = pools.offsets[i]!; p < pools.offsets[i + 1]!; p++) {
      const vIdx = pools.candidates[p]!;
      const v = users[vIdx]!;
      if (excluded(u.userId, v.userId)) continue;
      if (!ageInFilter && (v.age < u.ageMin || v.age > u.ageMax || u.age < v.ageMin || u.age > v.ageMax))
        continue;
      const raw = pools.overlap[p]!;
      const ov = normalization === 'cosine' || scale <= 0 ? raw : Math.min(1, raw / scale);
      const cp = coPresence(u, minuteStart[uIdx]!, v, minuteStart[vIdx]!, matrix.stop, coPresenceMinutes);
      const sl = spendLevel(avgTicket[uIdx]!, avgTicket[vIdx]!);
      const score = blend.overlap * ov + blend.coPresence * cp + blend.spendLevel * sl;
      entries.push({ v: vIdx, score, ov: raw, cp, sl, sh: pools.shared[p]! });
    }
    // City users are ordered by user id, so the smaller index is the smaller id.
    entries.sort((a, b) => b.score - a.score || a.v - b.v);
    const kept = entries.slice(0, topK);
    if (kept.length === 0) continue;
    rows.push({
      userId: u.userId,
      candidateIds: kept.map((e) => users[e.v]!.userId),
      scores: kept.map((e) => Math.fround(e.score)),
      overlap: kept.map((e) => Math.fround(e.ov)),
      coPresence: kept.map((e) => Math.fround(e.cp)),
      spendLevel: kept.map((e) => Math.fround(e.sl)),
      shared: kept.map((e) => e.sh),
    });
  }
  return rows;
}
