/**
 * Exposure fairness of a pairing (design section 7): how evenly the daily pairs are spread over
 * the eligible users. Pure: no I/O, no clock, no randomness.
 */

/** Largest number of points of a Lorenz curve: every 5 % of the population, 0 and 1 included. */
export const LORENZ_POINTS = 21;

const ascending = (values: ArrayLike<number>): Float64Array => {
  const sorted = Float64Array.from(values);
  for (const v of sorted) {
    if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError('exposure counts must be finite and ≥ 0');
  }
  return sorted.sort();
};

/**
 * Gini coefficient of non-negative values x₁ ≤ … ≤ xₙ:
 * `G = 2·Σᵢ i·xᵢ / (n·Σ x) − (n + 1)/n`, which is 1 − 2·(area under the piecewise-linear Lorenz
 * curve). 0 when everyone has the same; at most 1 − 1/n (one user has everything). Invariant
 * under permutation and under scaling the values. `null` without users or when every value is 0
 * (no exposure to share).
 */
export function gini(values: ArrayLike<number>): number | null {
  const x = ascending(values);
  const n = x.length;
  let total = 0;
  let weighted = 0;
  for (let i = 0; i < n; i++) {
    total += x[i]!;
    weighted += (i + 1) * x[i]!;
  }
  if (n === 0 || total === 0) return null;
  const g = (2 * weighted) / (n * total) - (n + 1) / n;
  // Rounding can leave a tiny negative for equal values.
  return Math.min(1, Math.max(0, g));
}

/**
 * The Lorenz curve of non-negative values: `population[j]` is a cumulative share of the users,
 * least exposed first, and `exposure[j]` the share of the total they hold, read from the
 * piecewise-linear curve through (k/n, S_k/S) (S_k the sum of the k smallest). Points at every
 * `1/(points−1)` of the population (every user's step when there are fewer users), from (0, 0) to
 * (1, 1); non-decreasing, convex, never above the diagonal. Empty arrays when the total is 0.
 */
export function lorenzCurve(
  values: ArrayLike<number>,
  points: number = LORENZ_POINTS,
): { population: number[]; exposure: number[] } {
  if (!Number.isInteger(points) || points < 2) throw new RangeError('a Lorenz curve needs at least 2 points');
  const x = ascending(values);
  const n = x.length;
  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i]! + x[i]!;
  const total = prefix[n]!;
  if (n === 0 || total === 0) return { population: [], exposure: [] };
  const steps = Math.min(points - 1, n);
  const population: number[] = [];
  const exposure: number[] = [];
  for (let j = 0; j <= steps; j++) {
    const p = j / steps;
    const t = p * n;
    const k = Math.min(n, Math.floor(t));
    const partial = k < n ? (t - k) * x[k]! : 0;
    population.push(p);
    exposure.push(j === steps ? 1 : Math.min(1, (prefix[k]! + partial) / total));
  }
  return { population, exposure };
}
