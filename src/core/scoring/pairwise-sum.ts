/**
 * Sum of `a[from..to)` in the exact order numpy's `add.reduceat` (used by scipy's sparse row sums)
 * evaluates it: the first element, plus numpy's pairwise sum of the rest (blocks of up to 128
 * summed with eight interleaved accumulators). Reproducing the order keeps per-user norms, hence
 * every normalized weight, bit-identical to the reference.
 */
export function reduceatSum(a: Float64Array, from: number, to: number): number {
  if (to <= from) return 0;
  return a[from]! + pairwiseSum(a, from + 1, to - from - 1);
}

/** numpy's `pairwise_sum` over `n` elements of `a` starting at `start`. */
export function pairwiseSum(a: Float64Array, start: number, n: number): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[start + i]!;
    return res;
  }
  if (n <= 128) {
    let r0 = a[start]!;
    let r1 = a[start + 1]!;
    let r2 = a[start + 2]!;
    let r3 = a[start + 3]!;
    let r4 = a[start + 4]!;
    let r5 = a[start + 5]!;
    let r6 = a[start + 6]!;
    let r7 = a[start + 7]!;
    let i = 8;
    const end = n - (n % 8);
    for (; i < end; i += 8) {
      const p = start + i;
      r0 += a[p]!;
      r1 += a[p + 1]!;
      r2 += a[p + 2]!;
      r3 += a[p + 3]!;
      r4 += a[p + 4]!;
      r5 += a[p + 5]!;
      r6 += a[p + 6]!;
      r7 += a[p + 7]!;
    }
    let res = r0 + r1 + (r2 + r3) + (r4 + r5 + (r6 + r7));
    for (; i < n; i++) res += a[start + i]!;
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}
