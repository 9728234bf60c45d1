import type { Eligibility } from './eligibility.ts';
import {
  assertRanges,
  inRanges,
  packFilterWords,
  prepareExclusions,
  type Exclusions,
  type Ranges,
} from './filters.ts';
import type { ScoringMatrix } from './matrix.ts';
import type { SymmetricPlan } from './symmetric-plan.ts';

/**
 * Full-run exact top-k computing each unordered pair once (half the multiply-adds of a one-sided
 * inverted index). For a query user u only the postings of users v > u are read (posting lists in
 * user order, the start found by binary search); the accumulated `acc[v] = Σ_m x(u,m)·x(v,m)`
 * (u's merchants in descending index, scipy's order) is offered to both u's and v's bounded
 * heaps. The sum of a pair is the same float in both directions (same terms, same order), so
 * both users see the exact reference score. Every pair sharing a weighted merchant is offered to
 * both heaps exactly once overall, so after all users are scanned (in any order, on any number of
 * heap sets whose union is then merged) every heap holds that user's exact top k.
 *
 * Filters keep this argument because each is symmetric: the group filter (a symmetric mayPair),
 * the ranges (the condition is the same with u and v swapped) and the exclusions (closed lists:
 * v listed for u iff u listed for v). Groups and ranges are tested per posting, so an inadmissible
 * pair is never accumulated; exclusions are marked (`banned[v] = u`) before u's scan and the pair
 * is dropped before either heap is offered it. Every admissible pair is still offered to both
 * heaps exactly once, and no other pair is offered.
 *
 * **Scan order.** Any order is exact; descending ids is much cheaper. Scanning u touches about
 * `U − u` users v > u and offers each pair to v's heap, which rejects it in O(1) once full and
 * above the score. In descending order, v's heap already holds v's pairs with every id in
 * `(u, U)`, a share `(U − u)/U` of them, so the users that touch the most (small u) meet the
 * fullest heaps; in ascending order they would meet nearly empty ones. At 100k users this cut the
 * offers to v's heaps from 28.7 M to 5.0 M and the heavy-column lookups from 75 M to 71 M, and the
 * single-thread scan from 33.7 to 26.2 CPU-s, with identical heaps.
 */

/**
 * One bounded min-heap per user, flat: user u owns slots `[u·k, u·k + k)`, `size[u]` entries,
 * root = worst kept entry under "higher score, then smaller id".
 *
 * `gate[u]`, the kernel's fast rejection test, is shared by all heap sets of a run (one per
 * thread; each holds a share of every user's pairs). Every value it ever holds is the k-th best
 * score of pairs some set has kept for u, rounded down to float32, so a lower bound of u's final
 * k-th score: a pair scoring below it cannot be in u's top k, whichever set it would go to. With
 * several threads, each set's rejections use what all sets have kept. Threads write it without
 * synchronisation: a lost update leaves an older, smaller value (still a lower bound), and
 * aligned 4-byte accesses do not tear.
 */
export interface PairHeaps {
  k: number;
  ids: Int32Array;
  scores: Float64Array;
  shared: Uint16Array;
  size: Int32Array;
  gate: Float32Array;
}

/** A gate for `userCount` users (see {@link PairHeaps}): −∞ (+∞ when k = 0, nothing kept). */
export function createHeapGate(userCount: number, k: number, shared = false): Float32Array {
  const gate = new Float32Array(
    shared ? new SharedArrayBuffer(userCount * 4) : new ArrayBuffer(userCount * 4),
  );
  return gate.fill(k === 0 ? Infinity : -Infinity);
}

/** Options of {@link createPairHeaps}. */
export interface PairHeapOptions {
  /** In SharedArrayBuffers, for threads. */
  shared?: boolean;
  /** The run's gate, shared by its heap sets (default: a gate of their own). */
  gate?: Float32Array;
  /** Keep each entry's shared-merchant count (default true; false: `shared` is empty). */
  counts?: boolean;
}

/** Empty heaps for `userCount` users. */
export function createPairHeaps(userCount: number, k: number, options: PairHeapOptions = {}): PairHeaps {
  const { shared = false, counts = true } = options;
  const gate = options.gate ?? createHeapGate(userCount, k, shared);
  const buf = (bytes: number): ArrayBuffer | SharedArrayBuffer =>
    shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
  const n = userCount * k;
  return {
    k,
    ids: new Int32Array(buf(n * 4)),
    scores: new Float64Array(buf(n * 8)),
    shared: new Uint16Array(buf(counts ? n * 2 : 0)),
    size: new Int32Array(buf(userCount * 4)),
    gate,
  };
}

const f32 = new Float32Array(1);
const f32Bits = new Int32Array(f32.buffer);

/** Smallest normal float32: below it `fround` loses relative precision. */
const FLOAT32_MIN_NORMAL = 2 ** -126;
/** Largest finite float32. */
const FLOAT32_MAX = (2 - 2 ** -23) * 2 ** 127;

/**
 * A float32 at most `x`, for x > 0 (scores), within 2⁻²⁰ of it. In the normal float32 range
 * `fround`'s relative error is at most 2⁻²⁴, so rounding x − x·2⁻²⁰ cannot land above x (the hot
 * case: no branch on the rounding). Elsewhere it is the largest float32 at most x: `fround`, then,
 * when that rounded up, the float32 just below (bit pattern minus one: the largest finite one
 * below +∞, 0 below the smallest subnormal).
 */
export function float32Below(x: number): number {
  if (x >= FLOAT32_MIN_NORMAL && x <= FLOAT32_MAX) return Math.fround(x - x * 2 ** -20);
  const f = Math.fround(x);
  if (f <= x) return f;
  f32[0] = f;
  f32Bits[0]! -= 1;
  return f32[0];
}

/** Raises the shared gate of `owner` to its heap's new worst score (never lowers it). */
function raiseGate(h: PairHeaps, owner: number, worst: number): void {
  const g = float32Below(worst);
  if (g > h.gate[owner]!) h.gate[owner] = g;
}

/** Whether `mayPair` is symmetric (required by the symmetric kernel). */
export function isSymmetric(e: Eligibility | undefined): boolean {
  if (!e) return true;
  const G = e.groupCount;
  for (let a = 0; a < G; a++) {
    for (let b = a + 1; b < G; b++)
      if ((e.mayPair[a * G + b] !== 0) !== (e.mayPair[b * G + a] !== 0)) return false;
  }
  return true;
}

/**
 * Offers (cand, score) to owner's heap. Invariant kept: the heap holds the best `k` offers so far
 * under "higher score, then smaller id".
 */
export function offerPair(h: PairHeaps, owner: number, cand: number, score: number, shared: number): void {
  const { k, ids, scores } = h;
  const counts = h.shared.length !== 0;
  const base = owner * k;
  const n = h.size[owner]!;
  if (n < k) {
    let i = n;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const ps = scores[base + p]!;
      if (!(score < ps || (score === ps && cand > ids[base + p]!))) break;
      ids[base + i] = ids[base + p]!;
      scores[base + i] = ps;
      if (counts) h.shared[base + i] = h.shared[base + p]!;
      i = p;
    }
    ids[base + i] = cand;
    scores[base + i] = score;
    if (counts) h.shared[base + i] = shared;
    h.size[owner] = n + 1;
    if (n + 1 === k) raiseGate(h, owner, scores[base]!);
    return;
  }
  const rs = scores[base]!;
  if (score < rs || (score === rs && cand > ids[base]!)) return;
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= k) break;
    const r = l + 1;
    let c = l;
    if (r < k) {
      const ls = scores[base + l]!;
      const rs2 = scores[base + r]!;
      if (rs2 < ls || (rs2 === ls && ids[base + r]! > ids[base + l]!)) c = r;
    }
    const cs = scores[base + c]!;
    if (!(cs < score || (cs === score && ids[base + c]! > cand))) break;
    ids[base + i] = ids[base + c]!;
    scores[base + i] = cs;
    if (counts) h.shared[base + i] = h.shared[base + c]!;
    i = c;
  }
  ids[base + i] = cand;
  scores[base + i] = score;
  if (counts) h.shared[base + i] = shared;
  raiseGate(h, owner, scores[base]!);
}

/**
 * Relative margin on a bound compared with a float sum: rounding makes a sum of up to 2¹⁶
 * non-negative terms exceed the exact one by far less than 10⁻¹⁰ of it.
 */
const BOUND_SLACK = 1 + 1e-10;

/**
 * A user's scan reads its partners in blocks of this many ids: the accumulator, the touched
 * partners' gates and the block's part of every list then stay in cache (512 KB of float64 sums)
 * instead of ranging over all users (8 MB at 1M). At 1M users this made the postings loop
 * 12.5 → 10.1 ns a posting; below this many users there is one block, as without blocking.
 */
const BLOCK_USERS = 1 << 16;

/** Options of the symmetric kernel. */
export interface SymmetricOptions {
  minSharedMerchants?: number;
  /** Count shared merchants per pair (forced when minSharedMerchants > 1); else reported as 0. */
  countShared?: boolean;
  eligibility?: Eligibility;
  /** Excluded pairs; closed (symmetrised) here unless already closed. */
  exclude?: Exclusions;
  ranges?: Ranges;
  /** Heavy columns read by lookup, heavy-only pairs by {@link SymmetricKernel.heavyOnly}. */
  plan?: SymmetricPlan;
  /** Partners per block of a user's scan (default {@link BLOCK_USERS}; any value, the same heaps). */
  blockUsers?: number;
}

/** Work counters. */
export interface SymmetricStats {
  users: number;
  postingsScanned: number;
}

/** A per-thread scanner writing into one heap set. */
export interface SymmetricKernel {
  scan(u: number, heaps: PairHeaps): void;
  /**
   * With a plan, after every user was scanned: offers u its heavy-only pairs that can still
   * reach its top k (into `heaps`; the run's shared gate is the threshold).
   */
  heavyOnly(u: number, heaps: PairHeaps): void;
  readonly stats: SymmetricStats;
}

/** Creates the scanner; the matrix must have `postingOrder === 'user'`. */
export function createSymmetricKernel(
  matrix: ScoringMatrix,
  options: SymmetricOptions = {},
): SymmetricKernel {
  if (matrix.postingOrder !== 'user')
    throw new Error('the symmetric kernel needs posting lists in user order');
  const { userCount: U, rowPtr, cols, vals, listPtr, listUser, listVal } = matrix;
  const minShared = options.minSharedMerchants ?? 1;
  const counting = (options.countShared ?? false) || minShared > 1;
  const elig = options.eligibility;
  if (!isSymmetric(elig)) throw new Error('the symmetric kernel needs a symmetric mayPair');
  const ranges = options.ranges;
  if (ranges) assertRanges(ranges, U);
  // one read per posting instead of four when the filters fit in a word
  const words = ranges && packFilterWords(ranges, elig?.group, elig?.groupCount ?? 0);
  const exclude = options.exclude && prepareExclusions(options.exclude, U);
  // banned[v] === u: v is excluded for the user being scanned (−1: nobody yet)
  const banned = new Int32Array(exclude ? U : 0).fill(-1);
  const acc = new Float64Array(U);
  const cnt = new Uint16Array(counting ? U : 0);
  const touched = new Int32Array(U);
  const stats: SymmetricStats = { users: 0, postingsScanned: 0 };
  const plan = options.plan;
  const H = plan?.heavy ?? 0;
  const heavyVal = plan?.heavyVal;
  const acc2 = new Float64Array(plan && H > 0 ? U : 0);
  const cnt2 = new Uint16Array(plan && H > 0 ? U : 0);

  /** Whether v's row has a column of u's light part `cols[hStart..rowEnd)` (both ascending). */
  const sharesLight = (u: number, hStart: number, v: number): boolean => {
    let i = hStart;
    const ie = rowPtr[u + 1]!;
    let j = rowPtr[v]!;
    const je = rowPtr[v + 1]!;
    while (i < ie && j < je) {
      const a = cols[i]!;
      const b = cols[j]!;
      if (a === b) return true;
      if (a < b) i++;
      else j++;
    }
    return false;
  };

  /**
   * Offers u the pairs that share only heavy merchants with it (u's heap in `heaps` only), when
   * any of them can still reach u's top k: `gate[u]` is a lower bound of u's final k-th score
   * (see {@link PairHeaps}; it only rises as u's heap fills) and no heavy-only pair scores more
   * than `heavyBound[u]`. Whole heavy lists, in descending column order (the pair's only terms,
   * in the order of a full scan); a pair is offered only when it reaches `gate[u]` and,
   * checked last by a merge of the two rows, shares no light merchant (those came from the scan).
   */
  const heavyOnly = (u: number, heaps: PairHeaps): void => {
    if (plan === undefined || H === 0) return;
    const gate = heaps.gate;
    if (!(plan.heavyBound[u]! >= gate[u]!) || plan.heavyBound[u] === 0) return;
    if (exclude) {
      const { offsets: xo, ids: xi } = exclude;
      for (let i = xo[u]!, e = xo[u + 1]!; i < e; i++) banned[xi[i]!] = u;
    }
    const s0 = rowPtr[u]!;
    let hStart = s0;
    while (hStart < rowPtr[u + 1]! && cols[hStart]! < H) hStart++;
    let nT = 0;
    const gBase = elig ? elig.group[u]! * elig.groupCount : 0;
    for (let j = hStart - 1; j >= s0; j--) {
      const m = cols[j]!;
      const a = vals[j]!;
      const end = listPtr[m + 1]!;
      stats.postingsScanned += end - listPtr[m]!;
      for (let p = listPtr[m]!; p < end; p++) {
        const v = listUser[p]!;
        if (v === u) continue;
        if (elig && elig.mayPair[gBase + elig.group[v]!] === 0) continue;
        if (ranges && !inRanges(ranges, u, v)) continue;
        if (cnt2[v] === 0) touched[nT++] = v;
        cnt2[v]!++;
        acc2[v]! += a * listVal[p]!;
      }
    }
    for (let i = 0; i < nT; i++) {
      const v = touched[i]!;
      const s = acc2[v]!;
      const c = cnt2[v]!;
      acc2[v] = 0;
      cnt2[v] = 0;
      if (c < minShared || !(s > 0) || s < gate[u]!) continue;
      if (exclude && banned[v] === u) continue;
      if (sharesLight(u, hStart, v)) continue;
      offerPair(heaps, u, v, s, counting ? c : 0);
    }
  };

  // u's light lists during its scan: next posting to read, end, u's weight there
  let longestRow = 0;
  for (let x = 0; x < U; x++) longestRow = Math.max(longestRow, rowPtr[x + 1]! - rowPtr[x]!);
  const cursor = new Int32Array(longestRow);
  const listEnd = new Int32Array(longestRow);
  const weight = new Float64Array(longestRow);
  const blockUsers = options.blockUsers ?? BLOCK_USERS;
  if (!(Number.isInteger(blockUsers) && blockUsers > 0))
    throw new RangeError('blockUsers must be a positive integer');

  /**
   * Offers the pairs (u, v) accumulated for the `nT` touched users v to both heaps, after their
   * heavy terms where they could matter, and clears their accumulators.
   */
  const settle = (u: number, nT: number, heaps: PairHeaps, s0: number, hStart: number): void => {
    const gate = heaps.gate;
    const hv = heavyVal;
    // u's heavy columns add at most `bu` to any pair: a pair that stays below both users' gates
    // even with `bu` added needs no lookup (most of them: heavy terms are small)
    const hu = hStart - s0;
    const bu = hu > 0 && plan !== undefined ? plan.heavyBound[u]! * BOUND_SLACK : 0;
    for (let i = 0; i < nT; i++) {
      const v = touched[i]!;
      let s = acc[v]!;
      acc[v] = 0;
      let c = 0;
      if (counting) {
        c = cnt[v]!;
        cnt[v] = 0;
      }
      if (hv !== undefined && hu > 0) {
        if (counting && c + hu < minShared) continue;
        const reach = (s + bu) * BOUND_SLACK;
        if (reach < gate[v]! && reach < gate[u]!) continue;
        // heavy terms last, in descending column order: the same float as a full scan
        const row = v * H;
        for (let j = hStart - 1; j >= s0; j--) {
          const x = hv[row + cols[j]!]!;
          if (x !== 0) {
            s += vals[j]! * x;
            c++;
          }
        }
      }
      if (counting && c < minShared) continue;
      if (!(s > 0)) continue;
      if (exclude && banned[v] === u) continue;
      // u < v: u wins ties in v's heap against larger ids, v loses ties in u's heap to smaller ones
      if (!counting) c = 0;
      if (s >= gate[v]!) offerPair(heaps, v, u, s, c);
      if (s >= gate[u]!) offerPair(heaps, u, v, s, c);
    }
  };

  const scan = (u: number, heaps: PairHeaps): void => {
    stats.users++;
    const gBase = elig ? elig.group[u]! * elig.groupCount : 0;
    if (exclude) {
      const { offsets: xo, ids: xi } = exclude;
      for (let i = xo[u]!, e = xo[u + 1]!; i < e; i++) banned[xi[i]!] = u;
    }
    // u's heavy columns are the first of its row: [s0, hStart)
    const s0 = rowPtr[u]!;
    let hStart = s0;
    if (H > 0) while (hStart < rowPtr[u + 1]! && cols[hStart]! < H) hStart++;
    // u's light lists in descending column order, each from its first posting of a user > u
    let lists = 0;
    for (let j = rowPtr[u + 1]! - 1; j >= hStart; j--) {
      const m = cols[j]!;
      let lo = listPtr[m]!;
      let hi = listPtr[m + 1]!;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (listUser[mid]! <= u) lo = mid + 1;
        else hi = mid;
      }
      stats.postingsScanned += listPtr[m + 1]! - lo;
      cursor[lists] = lo;
      listEnd[lists] = listPtr[m + 1]!;
      weight[lists] = vals[j]!;
      lists++;
    }
    // Block by block of partners (see BLOCK_USERS): every list is read up to the block's end, then
    // the block's pairs are settled. A pair's terms all fall in one block, in u's list order.
    for (let blockEnd = u + 1 + blockUsers; ; blockEnd += blockUsers) {
      let nT = 0;
      for (let l = 0; l < lists; l++) {
        const a = weight[l]!;
        const end = listEnd[l]!;
        let p = cursor[l]!;
        if (words) {
          // ranges and groups from one word per partner (packFilterWords)
          const vu = ranges.value[u]!;
          const rlo = ranges.min[u]!;
          const rhi = ranges.max[u]!;
          const mayPair = elig?.mayPair;
          for (; p < end; p++) {
            const v = listUser[p]!;
            if (v >= blockEnd) break;
            const q = words[v]!;
            const x = q & 255;
            if (x < rlo || x > rhi || ((q >>> 8) & 255) > vu || ((q >>> 16) & 255) < vu) continue;
            if (mayPair !== undefined && mayPair[gBase + (q >>> 24)] === 0) continue;
            touched[nT] = v;
            nT += acc[v] === 0 ? 1 : 0;
            acc[v]! += a * listVal[p]!;
            if (counting) cnt[v]!++;
          }
        } else if (ranges) {
          // ranges (and groups when given): one loop, filters tested per posting
          const { value, min, max } = ranges;
          const vu = value[u]!;
          const rlo = min[u]!;
          const rhi = max[u]!;
          const group = elig?.group;
          const mayPair = elig?.mayPair;
          for (; p < end; p++) {
            const v = listUser[p]!;
            if (v >= blockEnd) break;
            const x = value[v]!;
            if (x < rlo || x > rhi || min[v]! > vu || max[v]! < vu) continue;
            if (mayPair !== undefined && mayPair[gBase + group![v]!] === 0) continue;
            touched[nT] = v;
            nT += acc[v] === 0 ? 1 : 0;
            acc[v]! += a * listVal[p]!;
            if (counting) cnt[v]!++;
          }
        } else if (elig) {
          const { group, mayPair } = elig;
          for (; p < end; p++) {
            const v = listUser[p]!;
            if (v >= blockEnd) break;
            if (mayPair[gBase + group[v]!] === 0) continue;
            touched[nT] = v;
            nT += acc[v] === 0 ? 1 : 0;
            acc[v]! += a * listVal[p]!;
            if (counting) cnt[v]!++;
          }
        } else if (counting) {
          for (; p < end; p++) {
            const v = listUser[p]!;
            if (v >= blockEnd) break;
            touched[nT] = v;
            nT += acc[v] === 0 ? 1 : 0;
            acc[v]! += a * listVal[p]!;
            cnt[v]!++;
          }
        } else {
          for (; p < end; p++) {
            const v = listUser[p]!;
            if (v >= blockEnd) break;
            touched[nT] = v;
            nT += acc[v] === 0 ? 1 : 0;
            acc[v]! += a * listVal[p]!;
          }
        }
        cursor[l] = p;
      }
      settle(u, nT, heaps, s0, hStart);
      if (blockEnd >= U) break;
    }
  };
  return { scan, heavyOnly, stats };
}

/**
 * Merges the heap sets of several scanners for users `[from, to)` into `into` (one of them),
 * leaving each user's slots sorted best first and `size` set. Entries are disjoint across sets
 * (each pair is offered in exactly one set), so the result is the exact top k of the union.
 */
export function mergePairHeaps(sets: PairHeaps[], into: PairHeaps, from: number, to: number): void {
  const k = into.k;
  const cap = k * sets.length;
  const ids = new Int32Array(cap);
  const scores = new Float64Array(cap);
  const shared = new Uint16Array(cap);
  const order: number[] = [];
  for (let u = from; u < to; u++) {
    let n = 0;
    for (const h of sets) {
      const base = u * k;
      for (let i = 0; i < h.size[u]!; i++) {
        ids[n] = h.ids[base + i]!;
        scores[n] = h.scores[base + i]!;
        shared[n] = h.shared.length !== 0 ? h.shared[base + i]! : 0;
        n++;
      }
    }
    order.length = n;
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => scores[b]! - scores[a]! || ids[a]! - ids[b]!);
    const keep = Math.min(k, n);
    const base = u * k;
    for (let i = 0; i < keep; i++) {
      const o = order[i]!;
      into.ids[base + i] = ids[o]!;
      into.scores[base + i] = scores[o]!;
      if (into.shared.length !== 0) into.shared[base + i] = shared[o]!;
    }
    into.size[u] = keep;
  }
}
