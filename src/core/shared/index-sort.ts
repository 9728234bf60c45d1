/**
 * Orders `idx[0..n)` by `key[idx[i]]` descending, and among equal keys by `tie[idx[i]]` ascending
 * when `tie` is given (otherwise equal keys keep their order: the sort is stable). A bottom-up
 * merge sort over typed arrays, runs of 16 by insertion first. Pools are ranked per user, millions
 * of times a night: a comparator closure per comparison cost more than the ranking's arithmetic
 * (two thirds of the shard cut, measured).
 */
export function sortIndicesDesc(idx: Int32Array, n: number, key: Float64Array, tie?: Int32Array): void {
  const before = (a: number, b: number): boolean => {
    const x = key[a]!;
    const y = key[b]!;
    return x > y || (tie !== undefined && x === y && tie[a]! < tie[b]!);
  };
  // Already in order (the shard cut's ranked pools are): one pass, no moves.
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) sorted = !before(idx[i]!, idx[i - 1]!);
  if (sorted) return;
  const RUN = 16;
  for (let s = 0; s < n; s += RUN) {
    const e = Math.min(n, s + RUN);
    for (let i = s + 1; i < e; i++) {
      const v = idx[i]!;
      let j = i - 1;
      while (j >= s && before(v, idx[j]!)) {
        idx[j + 1] = idx[j]!;
        j--;
      }
      idx[j + 1] = v;
    }
  }
  if (n <= RUN) return;
  let from: Int32Array = idx;
  let to: Int32Array = new Int32Array(n);
  for (let width = RUN; width < n; width *= 2) {
    for (let s = 0; s < n; s += 2 * width) {
      const mid = Math.min(n, s + width);
      const end = Math.min(n, s + 2 * width);
      let i = s;
      let j = mid;
      let o = s;
      // the right run's head goes first only when strictly before: stable
      while (i < mid && j < end) to[o++] = before(from[j]!, from[i]!) ? from[j++]! : from[i++]!;
      while (i < mid) to[o++] = from[i++]!;
      while (j < end) to[o++] = from[j++]!;
    }
    const t = from;
    from = to;
    to = t;
  }
  if (from !== idx) idx.set(from.subarray(0, n));
}

/** `0..n-1` ordered by {@link sortIndicesDesc}. */
export function indicesByKeyDesc(key: Float64Array, n = key.length, tie?: Int32Array): Int32Array {
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  sortIndicesDesc(idx, n, key, tie);
  return idx;
}
