import type { ScoringMatrix } from './matrix.ts';

/**
 * What lets the symmetric kernel skip the longest posting lists exactly.
 *
 * **Heavy columns.** Columns `[0, heavy)` (in generated populations the mega-chains: 8 lists
 * holding 46 % of Σ df² at 100k users and 74 % at 1M) are never scanned by the main pass. Their
 * weights are kept densely, `heavyVal[v·heavy + m]`, and a pair touched by a light list gets its
 * heavy terms by lookup, added after the light ones. Light columns are all ≥ `heavy`, so a pair's
 * terms are still added in descending column order, the order of a full scan and of the scipy
 * reference: the same float, bit for bit.
 *
 * **Heavy-only pairs.** A pair sharing no light merchant is never touched by the main pass. Its
 * score is at most `heavyBound[u] = Σ_{m<heavy, m∈u} x(u,m)·listMax[m]`. After the main pass, u's
 * gate (the k-th best any heap set has kept for u, rounded down; see `PairHeaps` in symmetric.ts)
 * is a lower bound θ_u of u's final k-th score. A user with `heavyBound[u] < θ_u` cannot have a
 * heavy-only pair in its top k; for any other user the kernel reads its heavy lists whole (all
 * users, both directions) and offers u's heap, and only u's, the pairs reaching θ_u that share no
 * light merchant with u (checked by merging the two rows, for those few pairs only). So every pair
 * that can be in a user's top k reaches that user's heap exactly once: a pair sharing a light
 * merchant from the main pass (both heaps), a heavy-only pair from the user's own heavy pass, and
 * heavy-only pairs are never offered only where they score below θ_u ≤ the final k-th score.
 *
 * Only a prefix of the columns can be summed last without changing the order of the terms, so the
 * heavy columns are the longest prefix of long lists ({@link chooseHeavyColumns}); callers that
 * number merchants (the nightly pipeline, the generator) put the most visited first.
 */
export interface SymmetricPlan {
  /** Columns `[0, heavy)` are read from `heavyVal` instead of scanned. */
  heavy: number;
  /** `U·heavy` weights, row-major by user (0 where the user has no weight there). */
  heavyVal: Float64Array;
  /** No pair of u sharing only heavy merchants scores more than `heavyBound[u]`. */
  heavyBound: Float64Array;
}

/** A column is heavy when its list holds at least this share of the users. */
const HEAVY_SHARE = 1 / 50;
/** At most this many heavy columns (dense memory: U·heavy·8 bytes). */
const MAX_HEAVY = 32;

/**
 * The heavy prefix: the longest prefix of columns, at most {@link MAX_HEAVY}, whose lists are
 * each empty (stop-merchants, weight 0) or hold at least 2 % of the users, cut after its last
 * non-empty column.
 */
export function chooseHeavyColumns(matrix: ScoringMatrix): number {
  const { merchantCount: M, userCount: U, listPtr } = matrix;
  const min = Math.max(1, Math.ceil(U * HEAVY_SHARE));
  let heavy = 0;
  for (let m = 0; m < Math.min(M, MAX_HEAVY); m++) {
    const len = listPtr[m + 1]! - listPtr[m]!;
    if (len === 0) continue;
    if (len < min) break;
    heavy = m + 1;
  }
  return heavy;
}

/** Builds the plan (`heavy` overrides {@link chooseHeavyColumns}; `shared` for threads). */
export function planSymmetric(
  matrix: ScoringMatrix,
  options: { heavy?: number; shared?: boolean } = {},
): SymmetricPlan {
  const { userCount: U, merchantCount: M, rowPtr, cols, vals, listMax } = matrix;
  const heavy = Math.min(M, options.heavy ?? chooseHeavyColumns(matrix));
  const buf = (bytes: number): ArrayBuffer | SharedArrayBuffer =>
    options.shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
  const heavyVal = new Float64Array(buf(U * heavy * 8));
  const heavyBound = new Float64Array(buf(U * 8));
  for (let u = 0; u < U; u++) {
    let bound = 0;
    for (let j = rowPtr[u]!; j < rowPtr[u + 1]! && cols[j]! < heavy; j++) {
      heavyVal[u * heavy + cols[j]!] = vals[j]!;
      bound += vals[j]! * listMax[cols[j]!]!;
    }
    heavyBound[u] = bound;
  }
  return { heavy, heavyVal, heavyBound };
}
