/**
 * Per-user pair filters applied during candidate generation, next to the group filter of
 * eligibility.ts: explicit exclusions (blocks, repeat cooldown) and interval ranges (ages).
 */

/**
 * Users that may never be each other's candidates, as a CSR list: the users excluded by user u
 * are `ids[offsets[u]..offsets[u+1])`. A pair is excluded when **either** side lists the other:
 * the core symmetrises the lists ({@link closeExclusions}), so a caller may give each block or
 * cooldown pair once, in one direction. Self entries and duplicates are allowed and ignored.
 */
export interface Exclusions {
  offsets: Int32Array;
  ids: Int32Array;
  /**
   * Set by {@link closeExclusions} on its output: the lists are already symmetric, sorted and
   * free of duplicates and self entries, so kernels do not close them again.
   */
  closed?: true;
}

/**
 * A per-user interval filter: (u, v) is admissible iff `min[u] ≤ value[v] ≤ max[u]` and
 * `min[v] ≤ value[u] ≤ max[v]` (for the pipeline: age, ageMin, ageMax). Symmetric by
 * construction; an empty interval (`min > max`) admits nobody.
 */
export interface Ranges {
  value: Int16Array;
  min: Int16Array;
  max: Int16Array;
}

/** Checks the CSR shape of exclusions against a population of `userCount` users. */
export function assertExclusions(e: Exclusions, userCount: number): void {
  const { offsets, ids } = e;
  if (offsets.length !== userCount + 1)
    throw new RangeError('exclude.offsets must have userCount + 1 entries');
  if (offsets[0] !== 0 || offsets[userCount] !== ids.length)
    throw new RangeError('exclude.offsets must start at 0 and end at ids.length');
  for (let u = 0; u < userCount; u++) {
    if (offsets[u + 1]! < offsets[u]!) throw new RangeError('exclude.offsets must be non-decreasing');
  }
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i]!;
    if (!(v >= 0 && v < userCount)) throw new RangeError(`excluded user ${String(v)} out of range`);
  }
}

/**
 * The symmetric closure of `e`: v is listed for u iff u listed v or v listed u (u ≠ v); each list
 * sorted ascending without duplicates. Validates the shape first. O(U + E) plus the per-list
 * sorts. With `shared`, the arrays live in SharedArrayBuffers (for worker threads).
 */
export function closeExclusions(e: Exclusions, userCount: number, shared = false): Exclusions {
  assertExclusions(e, userCount);
  const U = userCount;
  const buf = (bytes: number): ArrayBuffer | SharedArrayBuffer =>
    shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
  // counts of both directions (self entries dropped)
  const count = new Int32Array(U + 1);
  for (let u = 0; u < U; u++) {
    for (let i = e.offsets[u]!; i < e.offsets[u + 1]!; i++) {
      const v = e.ids[i]!;
      if (v === u) continue;
      count[u + 1]!++;
      count[v + 1]!++;
    }
  }
  for (let u = 0; u < U; u++) count[u + 1]! += count[u]!;
  const raw = new Int32Array(count[U]!);
  const fill = count.slice(0, U);
  for (let u = 0; u < U; u++) {
    for (let i = e.offsets[u]!; i < e.offsets[u + 1]!; i++) {
      const v = e.ids[i]!;
      if (v === u) continue;
      raw[fill[u]!++] = v;
      raw[fill[v]!++] = u;
    }
  }
  // sort each list and drop duplicates, compacting in place
  const offsets = new Int32Array(buf((U + 1) * 4));
  let n = 0;
  for (let u = 0; u < U; u++) {
    const list = raw.subarray(count[u], count[u + 1]);
    list.sort();
    let prev = -1;
    for (let i = 0; i < list.length; i++) {
      const v = list[i]!;
      if (v === prev) continue;
      prev = v;
      raw[n++] = v; // n ≤ count[u] + i: never overwrites an unread entry
    }
    offsets[u + 1] = n;
  }
  const ids = new Int32Array(buf(n * 4));
  ids.set(raw.subarray(0, n));
  return { offsets, ids, closed: true };
}

/** Closes `e` unless it is already closed; validates the shape either way. */
export function prepareExclusions(e: Exclusions, userCount: number): Exclusions {
  if (e.closed === true) {
    assertExclusions(e, userCount);
    return e;
  }
  return closeExclusions(e, userCount);
}

/** Checks that every range array has one entry per user. */
export function assertRanges(r: Ranges, userCount: number): void {
  if (r.value.length !== userCount || r.min.length !== userCount || r.max.length !== userCount)
    throw new RangeError('ranges.value, ranges.min and ranges.max must have one entry per user');
}

/**
 * The range filter and the eligibility group of each user in one 32-bit word, so that a scan
 * tests a posting with one read instead of four: bits 0–7 `value`, 8–15 `min`, 16–23 `max`,
 * 24–31 the group (0 without eligibility). Undefined when a value, min or max lies outside
 * [0, 255] or there are more than 256 groups; kernels then read the arrays themselves. The test
 * is unchanged: `min[u] ≤ value[v] ≤ max[u]`, `min[v] ≤ value[u] ≤ max[v]`, `mayPair` of both groups.
 */
export function packFilterWords(
  ranges: Ranges,
  group: Int32Array | undefined,
  groupCount: number,
): Int32Array | undefined {
  const { value, min, max } = ranges;
  const n = value.length;
  if (group !== undefined && groupCount > 256) return undefined;
  const words = new Int32Array(n);
  for (let u = 0; u < n; u++) {
    const x = value[u]!;
    const lo = min[u]!;
    const hi = max[u]!;
    if (x < 0 || x > 255 || lo < 0 || lo > 255 || hi < 0 || hi > 255) return undefined;
    words[u] = x | (lo << 8) | (hi << 16) | ((group?.[u] ?? 0) << 24);
  }
  return words;
}

/** Whether (u, v) passes the range filter both ways; every pair does without one. */
export function inRanges(r: Ranges | undefined, u: number, v: number): boolean {
  if (r === undefined) return true;
  const { value, min, max } = r;
  return min[u]! <= value[v]! && value[v]! <= max[u]! && min[v]! <= value[u]! && value[u]! <= max[v]!;
}
