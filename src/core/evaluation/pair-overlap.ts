import type { ScoringMatrix } from '../scoring/matrix.ts';

/**
 * The raw overlap of any two users of a matrix, `Σ_m vals(u,m)·vals(v,m)` (before the run's
 * scale), and how many weighted merchants they share, for a pair that need not be in either pool.
 * The products are added in decreasing merchant order, as the candidate kernel's exact
 * verification adds them, so a pair that is in a pool gets the same bits. Pure;
 * O(|row u| + |row v|).
 */
export function pairOverlap(
  matrix: ScoringMatrix,
  u: number,
  v: number,
): { overlap: number; shared: number } {
  const { rowPtr, cols, vals } = matrix;
  const us = rowPtr[u]!;
  const vs = rowPtr[v]!;
  let i = rowPtr[u + 1]! - 1;
  let j = rowPtr[v + 1]! - 1;
  let overlap = 0;
  let shared = 0;
  while (i >= us && j >= vs) {
    const a = cols[i]!;
    const b = cols[j]!;
    if (a > b) i--;
    else if (b > a) j--;
    else {
      overlap += vals[i]! * vals[j]!;
      shared++;
      i--;
      j--;
    }
  }
  return { overlap, shared };
}
