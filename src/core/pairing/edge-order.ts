import { pairTieHash, type CompiledUsers } from './compiled-users.ts';
import type { EdgeSet } from './edges.ts';

const DIGIT_BITS = 11;
const DIGIT_MASK = (1 << DIGIT_BITS) - 1;
const SHIFTS = [0, 11, 22] as const;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * A stable LSD radix sort of the indices 0..count−1 by a multi-word unsigned key, `words[0]` least
 * significant. Each pass sorts by an 11-bit digit and carries the words still needed by later
 * passes, so every pass reads sequentially; a pass whose digit is the same for all is skipped.
 * O(count · passes), passes ≤ 3 per word.
 */
function radixSortIndices(count: number, words: readonly Uint32Array[]): Uint32Array {
  let index: Uint32Array = new Uint32Array(count);
  for (let i = 0; i < count; i += 1) index[i] = i;
  let spareIndex: Uint32Array = new Uint32Array(count);
  let current: Uint32Array[] = words.slice();
  let spare: Uint32Array[] = words.map(() => new Uint32Array(count));
  const buckets = new Uint32Array(DIGIT_MASK + 1);
  for (let w = 0; w < words.length; w += 1) {
    for (const shift of SHIFTS) {
      const key = current[w] as Uint32Array;
      buckets.fill(0);
      for (let i = 0; i < count; i += 1) {
        const digit = ((key[i] as number) >>> shift) & DIGIT_MASK;
        buckets[digit] = (buckets[digit] as number) + 1;
      }
      let position = 0;
      let single = false;
      for (let d = 0; d <= DIGIT_MASK; d += 1) {
        const c = buckets[d] as number;
        if (c === count) single = true;
        buckets[d] = position;
        position += c;
      }
      if (single) continue;
      const carried = current.slice(w + 1);
      const carriedTo = spare.slice(w + 1);
      const keyTo = spare[w] as Uint32Array;
      for (let i = 0; i < count; i += 1) {
        const k = key[i] as number;
        const digit = (k >>> shift) & DIGIT_MASK;
        const at = buckets[digit] as number;
        buckets[digit] = at + 1;
        spareIndex[at] = index[i] as number;
        keyTo[at] = k;
        for (let q = 0; q < carried.length; q += 1) {
          (carriedTo[q] as Uint32Array)[at] = (carried[q] as Uint32Array)[i] as number;
        }
      }
      [index, spareIndex] = [spareIndex, index];
      [current, spare] = [spare, current];
    }
  }
  return index;
}

/**
 * The score's sort words for a descending order, least significant first: the bits of a score in
 * [0, 1] sort like the number, and flipping them reverses the order. When every score is exactly a
 * float32 (scores read from a `real` column), one 32-bit word holds it; otherwise two words hold the
 * float64.
 */
function descendingScoreWords(score: Float64Array): Uint32Array[] {
  const count = score.length;
  let float32 = true;
  for (let e = 0; e < count && float32; e += 1) {
    const s = score[e] as number;
    float32 = Math.fround(s) === s;
  }
  if (float32) {
    const bits = new Uint32Array(Float32Array.from(score).buffer);
    for (let e = 0; e < count; e += 1) bits[e] = ~(bits[e] as number) >>> 0;
    return [bits];
  }
  const both = new Uint32Array(Float64Array.from(score).buffer);
  const low = new Uint32Array(count);
  const high = new Uint32Array(count);
  const lowWord = LITTLE_ENDIAN ? 0 : 1;
  for (let e = 0; e < count; e += 1) {
    low[e] = ~(both[2 * e + lowWord] as number) >>> 0;
    high[e] = ~(both[2 * e + 1 - lowWord] as number) >>> 0;
  }
  return [low, high];
}

/**
 * The edges relabelled in canonical order, so that edge id = rank (0 = best): score descending,
 * then `pairTieHash` of the two users' day hashes ascending, then the smaller id, then the larger
 * id (code-unit order). That is a total order on distinct pairs, so it depends only on the pairs,
 * their scores and the date, never on the order of the input.
 *
 * A comparison sort of ten million edges costs tens of seconds in JavaScript; the LSD radix sort
 * (tie hash, then score) costs a few linear passes. Runs of equal score and hash (rare) are then
 * ordered by id ranks.
 */
export function sortEdges(edges: EdgeSet, compiled: CompiledUsers): EdgeSet {
  const { count, lo, hi, score, shared } = edges;
  const { idRank, dayHash } = compiled;
  const tie = new Uint32Array(count);
  for (let e = 0; e < count; e += 1) {
    const x = lo[e] as number;
    const y = hi[e] as number;
    const xFirst = (idRank[x] as number) < (idRank[y] as number);
    tie[e] = pairTieHash(dayHash[xFirst ? x : y] as number, dayHash[xFirst ? y : x] as number);
  }
  const index = radixSortIndices(count, [tie, ...descendingScoreWords(score)]);

  const sorted = {
    count,
    lo: new Int32Array(count),
    hi: new Int32Array(count),
    score: new Float64Array(count),
    shared: new Int32Array(count),
  };
  const sortedTie = new Uint32Array(count);
  for (let r = 0; r < count; r += 1) {
    const e = index[r] as number;
    sorted.lo[r] = lo[e] as number;
    sorted.hi[r] = hi[e] as number;
    sorted.score[r] = score[e] as number;
    sorted.shared[r] = shared[e] as number;
    sortedTie[r] = tie[e] as number;
  }
  for (let i = 0; i < count;) {
    let j = i + 1;
    while (j < count && sorted.score[j] === sorted.score[i] && sortedTie[j] === sortedTie[i]) j += 1;
    if (j - i > 1) orderRunByIds(sorted, compiled, i, j);
    i = j;
  }
  return sorted;
}

/** Orders the edges [from, to) by (smaller id rank, larger id rank); they share score and hash. */
function orderRunByIds(edges: EdgeSet, compiled: CompiledUsers, from: number, to: number): void {
  const { idRank } = compiled;
  const run = [];
  for (let r = from; r < to; r += 1) {
    const x = idRank[edges.lo[r] as number] as number;
    const y = idRank[edges.hi[r] as number] as number;
    run.push({
      first: Math.min(x, y),
      second: Math.max(x, y),
      lo: edges.lo[r] as number,
      hi: edges.hi[r] as number,
      shared: edges.shared[r] as number,
    });
  }
  run.sort((p, q) => p.first - q.first || p.second - q.second);
  run.forEach((edge, k) => {
    edges.lo[from + k] = edge.lo;
    edges.hi[from + k] = edge.hi;
    edges.shared[from + k] = edge.shared;
  });
}
