import { compatible, isPairable, type CompiledUsers } from './compiled-users.ts';
import type { IndexPair, PairingInput, PairingUser } from './types.ts';

/**
 * The eligible edges of a run, deduplicated, as parallel typed arrays of length `count`:
 * `lo[e] < hi[e]` are user indices. A pair listed by both users appears once, with the larger of
 * the two scores and the larger of the two shared counts (the scorer computes both symmetrically,
 * so they agree up to storage rounding; taking the maximum makes the result independent of which
 * list is read first).
 */
export interface EdgeSet {
  readonly count: number;
  readonly lo: Int32Array;
  readonly hi: Int32Array;
  readonly score: Float64Array;
  readonly shared: Int32Array;
}

function checkIndex(value: number, n: number, where: string): void {
  if (!Number.isInteger(value) || value < 0 || value >= n) {
    throw new RangeError(`${where}: user index ${String(value)} is not in [0, ${String(n)})`);
  }
}

/** `lo · n + hi`: a unique number per unordered pair (exact while n² < 2⁵³). */
function pairKeySet(pairs: readonly IndexPair[], n: number, name: string): Set<number> {
  const keys = new Set<number>();
  pairs.forEach(([x, y], i) => {
    checkIndex(x, n, `${name}[${String(i)}]`);
    checkIndex(y, n, `${name}[${String(i)}]`);
    if (x !== y) keys.add(Math.min(x, y) * n + Math.max(x, y));
  });
  return keys;
}

/** Checks one user's candidate list; throws a RangeError naming the first bad entry. */
function checkCandidates(user: PairingUser, u: number, n: number): void {
  const { indices, scores, sharedCounts } = user.candidates;
  if (scores.length !== indices.length || sharedCounts.length !== indices.length) {
    throw new RangeError(`users[${String(u)}].candidates: indices, scores and sharedCounts differ in length`);
  }
  for (let j = 0; j < indices.length; j += 1) {
    const index = indices[j] as number;
    const score = scores[j] as number;
    const shared = sharedCounts[j] as number;
    if (Number.isInteger(index) && index >= 0 && index < n && score >= 0 && score <= 1) {
      if (Number.isInteger(shared) && shared >= 0) continue;
    }
    const where = `users[${String(u)}].candidates[${String(j)}]`;
    checkIndex(index, n, where);
    if (!(score >= 0 && score <= 1))
      throw new RangeError(`${where}: score ${String(score)} is not in [0, 1]`);
    throw new RangeError(`${where}: shared count ${String(shared)} is not a non-negative integer`);
  }
}

/**
 * Collects every candidate edge (a pair listed by either user), keeps one per unordered pair
 * (maxima, see {@link EdgeSet}) and keeps only the eligible pairs: `compatible` attributes, not
 * blocked, not in `recentPairs`, `shared ≥ minSharedMerchants` (the rules of `ineligibilityReason`).
 * Time O(n + L) for L list entries: a counting pass buckets entries by their lower index, then a
 * marker array merges duplicates within each bucket; no sort, no hash map per edge.
 * Throws a RangeError on an index out of range, a score outside [0, 1], a negative or fractional
 * shared count, or lists of unequal length.
 */
export function buildEligibleEdges(
  input: PairingInput,
  compiled: CompiledUsers,
  minSharedMerchants: number,
): EdgeSet {
  const { users } = input;
  const n = users.length;
  const blocked = pairKeySet(input.blocks, n, 'blocks');
  const recent = pairKeySet(input.recentPairs, n, 'recentPairs');

  let entries = 0;
  users.forEach((user, u) => {
    checkCandidates(user, u, n);
    entries += user.candidates.indices.length;
  });

  // Pass 1: keep the entries whose two users are compatible, and count them per lower index.
  const keep = new Uint8Array(entries);
  const start = new Int32Array(n + 1);
  let entry = 0;
  for (let u = 0; u < n; u += 1) {
    const { indices } = (users[u] as PairingUser).candidates;
    if (!isPairable(compiled, u)) {
      entry += indices.length;
      continue;
    }
    for (let j = 0; j < indices.length; j += 1, entry += 1) {
      const v = indices[j] as number;
      if (!compatible(compiled, u, v)) continue;
      keep[entry] = 1;
      const bucket = (u < v ? u : v) + 1;
      start[bucket] = (start[bucket] as number) + 1;
    }
  }
  // Prefix sums: bucket x holds the entries whose lower index is x, at [start[x], start[x + 1]).
  for (let x = 0; x < n; x += 1) start[x + 1] = (start[x + 1] as number) + (start[x] as number);
  const total = start[n] as number;

  // Pass 2: scatter the kept entries into their buckets.
  const fill = start.slice(0, n);
  const rawHi = new Int32Array(total);
  const rawScore = new Float64Array(total);
  const rawShared = new Int32Array(total);
  entry = 0;
  for (let u = 0; u < n; u += 1) {
    const { indices, scores, sharedCounts } = (users[u] as PairingUser).candidates;
    for (let j = 0; j < indices.length; j += 1, entry += 1) {
      if (keep[entry] === 0) continue;
      const v = indices[j] as number;
      const x = u < v ? u : v;
      const at = fill[x] as number;
      fill[x] = at + 1;
      rawHi[at] = u < v ? v : u;
      // `+ 0` turns −0 into +0, whose bits sort as the smallest score.
      rawScore[at] = (scores[j] as number) + 0;
      rawShared[at] = sharedCounts[j] as number;
    }
  }

  // Pass 3: merge duplicates per bucket, then drop blocked, recent and too-thin pairs.
  const lo = new Int32Array(total);
  const hi = new Int32Array(total);
  const score = new Float64Array(total);
  const shared = new Int32Array(total);
  // seenIn[y] = x + 1 when the pair (x, y) already has a slot, at slotOf[y].
  const seenIn = new Int32Array(n);
  const slotOf = new Int32Array(n);
  let count = 0;
  for (let x = 0; x < n; x += 1) {
    const first = count;
    const end = start[x + 1] as number;
    for (let k = start[x] as number; k < end; k += 1) {
      const y = rawHi[k] as number;
      if (seenIn[y] === x + 1) {
        const slot = slotOf[y] as number;
        score[slot] = Math.max(score[slot] as number, rawScore[k] as number);
        shared[slot] = Math.max(shared[slot] as number, rawShared[k] as number);
        continue;
      }
      seenIn[y] = x + 1;
      slotOf[y] = count;
      hi[count] = y;
      score[count] = rawScore[k] as number;
      shared[count] = rawShared[k] as number;
      count += 1;
    }
    let kept = first;
    for (let e = first; e < count; e += 1) {
      const y = hi[e] as number;
      if ((shared[e] as number) < minSharedMerchants) continue;
      if (blocked.size > 0 && blocked.has(x * n + y)) continue;
      if (recent.size > 0 && recent.has(x * n + y)) continue;
      lo[kept] = x;
      hi[kept] = y;
      score[kept] = score[e] as number;
      shared[kept] = shared[e] as number;
      kept += 1;
    }
    count = kept;
  }
  return {
    count,
    lo: lo.subarray(0, count),
    hi: hi.subarray(0, count),
    score: score.subarray(0, count),
    shared: shared.subarray(0, count),
  };
}
