/**
 * Small-cell suppression of published counts (design section 6, rule 5: aggregates only, cells of
 * fewer than `K_ANON` users withheld). Pure.
 */

/**
 * Withholds (null) every cell describing at least one but fewer than `k` users (primary
 * suppression). A lone withheld cell could be recovered by subtracting the others from a total
 * that is published elsewhere, so when exactly one cell is withheld the smallest other non-empty
 * cell is withheld too (secondary suppression; the lowest index on ties). Empty cells describe
 * nobody and stay 0.
 */
export function suppressSmallCells(
  counts: readonly number[],
  usersPerCell: readonly number[],
  k: number,
): Array<number | null> {
  if (counts.length !== usersPerCell.length) throw new RangeError('counts and users must be aligned');
  const out: Array<number | null> = counts.map((c, i) => {
    const users = usersPerCell[i]!;
    return users > 0 && users < k ? null : c;
  });
  const withheld = out.filter((c) => c === null).length;
  if (withheld === 1) {
    let smallest = -1;
    out.forEach((c, i) => {
      if (c !== null && c > 0 && (smallest < 0 || c < out[smallest]!)) smallest = i;
    });
    if (smallest >= 0) out[smallest] = null;
  }
  return out;
}
