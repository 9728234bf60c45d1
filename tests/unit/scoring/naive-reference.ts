/**
 * A deliberately naive reference of design section 4 for tests: dense pairwise, straight from the
 * formulas, no index, no pruning, plain Math.log and left-to-right sums.
 */
import { MERCHANT_CATEGORIES, type WeightSet } from '../../../src/core/scoring/weight-set.ts';

export interface NaiveRow {
  user: number;
  merchant: number;
  visits: number;
  lastVisitDay: number;
}

export interface NaiveInput {
  userCount: number;
  merchantCount: number;
  rows: NaiveRow[];
  /** Category index per merchant; absent = weight 1. */
  categories?: number[];
}

export interface NaiveEligibility {
  group: number[];
  groupCount: number;
  mayPair: number[];
}

/**
 * Per-user filters: `exclude[u]` lists users u refuses (a pair is out when either side lists the
 * other); ranges admit (u, v) iff min[u] ≤ value[v] ≤ max[u] and min[v] ≤ value[u] ≤ max[v].
 */
export interface NaiveFilters {
  exclude?: number[][];
  ranges?: { value: number[]; min: number[]; max: number[] };
}

export interface NaiveCandidate {
  v: number;
  score: number;
  shared: number;
}

type Weights = Pick<
  WeightSet,
  | 'windowDays'
  | 'visitTransform'
  | 'idfExponent'
  | 'recencyHalfLifeDays'
  | 'maxMerchantShare'
  | 'categoryWeights'
  | 'normalization'
>;

/** w(u, m) for every user as a dense array over merchants (duplicate rows add). */
export function naiveWeights(input: NaiveInput, w: Weights): number[][] {
  const { userCount, merchantCount, rows } = input;
  const has = Array.from({ length: userCount }, () => new Set<number>());
  for (const r of rows) has[r.user]!.add(r.merchant);
  const N = has.filter((s) => s.size > 0).length;
  const df = new Array<number>(merchantCount).fill(0);
  for (const s of has) for (const m of s) df[m]!++;
  const W = Array.from({ length: userCount }, () => new Array<number>(merchantCount).fill(0));
  for (const r of rows) {
    const d = df[r.merchant]!;
    if (d / N > w.maxMerchantShare) continue;
    const idf = Math.log(N / d);
    const f =
      w.visitTransform === 'log1p'
        ? Math.log1p(r.visits)
        : w.visitTransform === 'binary'
          ? Math.sign(r.visits)
          : r.visits;
    const age = w.windowDays - 1 - r.lastVisitDay;
    const rec = w.recencyHalfLifeDays > 0 ? Math.pow(0.5, age / w.recencyHalfLifeDays) : 1;
    const cat = input.categories ? MERCHANT_CATEGORIES[input.categories[r.merchant]!]! : undefined;
    const cw = cat === undefined ? 1 : (w.categoryWeights[cat] ?? 1);
    W[r.user]![r.merchant]! += cw * Math.pow(idf, w.idfExponent) * f * rec;
  }
  return W;
}

/**
 * Every user's top k by overlap (scaled: sqrt and none divided by the largest pair of all users),
 * ties by the smaller index; pairs must share ≥ minShared weighted merchants and be admissible.
 * Also returns every qualifying candidate with its score (`all`), for tie-aware comparison.
 */
export function naiveTopK(
  input: NaiveInput,
  w: Weights,
  k: number,
  minShared = 1,
  eligibility?: NaiveEligibility,
  filters: NaiveFilters = {},
): { top: NaiveCandidate[][]; all: NaiveCandidate[][] } {
  const W = naiveWeights(input, w);
  const U = input.userCount;
  const norm = W.map((row) => Math.sqrt(row.reduce((s, x) => s + x * x, 0)));
  const all: NaiveCandidate[][] = [];
  let largest = 0;
  for (let u = 0; u < U; u++) {
    const list: NaiveCandidate[] = [];
    for (let v = 0; v < U; v++) {
      if (v === u) continue;
      if (eligibility) {
        const { group, groupCount, mayPair } = eligibility;
        if (mayPair[group[u]! * groupCount + group[v]!] === 0) continue;
      }
      const { exclude, ranges } = filters;
      if (exclude && (exclude[u]!.includes(v) || exclude[v]!.includes(u))) continue;
      if (ranges) {
        const { value, min, max } = ranges;
        if (value[v]! < min[u]! || value[v]! > max[u]!) continue;
        if (value[u]! < min[v]! || value[u]! > max[v]!) continue;
      }
      let dot = 0;
      let shared = 0;
      for (let m = 0; m < input.merchantCount; m++) {
        const a = W[u]![m]!;
        const b = W[v]![m]!;
        if (a !== 0 && b !== 0) {
          dot += a * b;
          shared++;
        }
      }
      if (shared === 0 || shared < minShared) continue;
      const nu = norm[u] === 0 ? 1 : norm[u]!;
      const nv = norm[v] === 0 ? 1 : norm[v]!;
      const d = w.normalization === 'cosine' ? nu * nv : w.normalization === 'sqrt' ? Math.sqrt(nu * nv) : 1;
      const score = dot / d;
      if (!(score > 0)) continue;
      largest = Math.max(largest, score);
      list.push({ v, score, shared });
    }
    all.push(list);
  }
  if (w.normalization !== 'cosine' && largest > 0) {
    for (const list of all) for (const c of list) c.score /= largest;
  }
  const top = all.map((list) =>
    [...list].sort((a, b) => b.score - a.score || a.v - b.v).slice(0, Math.max(0, k)),
  );
  return { top, all };
}
