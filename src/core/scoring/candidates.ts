import type { Eligibility } from './eligibility.ts';
import { assertEligibility } from './eligibility.ts';
import { assertRanges, closeExclusions, prepareExclusions, type Exclusions, type Ranges } from './filters.ts';
import type { ScoringMatrix } from './matrix.ts';
import {
  createPairHeaps,
  createSymmetricKernel,
  isSymmetric,
  mergePairHeaps as mergePairHeapsSorted,
  type PairHeaps,
} from './symmetric.ts';
import { planSymmetric } from './symmetric-plan.ts';
import { TopK } from './top-k.ts';

/**
 * Exact candidate generation: for each query user u, the k best other users v by
 * `overlap(u,v) = Σ_m x(u,m)·x(v,m)` (the normalized matrix, before run scaling), ties broken by
 * the smaller user index, over pairs that share at least one weighted merchant, share at least
 * `minSharedMerchants` of them and pass the eligibility filter. Identical to brute force.
 *
 * ## Algorithm (inverted index, MaxScore-style exact pruning)
 * u's posting lists are processed from the shortest (rarest, heaviest idf) to the longest (the
 * mega-chains); a dense accumulator `acc[v] += x(u,m)·x(v,m)` with a first-touch list collects
 * partial scores. Every candidate's exact score is recomputed at the end ("verification") as a
 * dot product over v's row with u's weights scattered in a dense array, adding the products in
 * increasing merchant order — the order of scipy's sparse product, so scores are bit-identical to
 * the reference.
 *
 * Pruning (proof). Let θ be the k-th best exact score among verified, qualifying candidates
 * (0 while there are fewer than k). Any unverified v with true score s(v) < θ cannot enter the
 * top k: k others already score ≥ θ > s(v) (strictly, so ties by index are safe).
 * Let `rest_i` bound what the lists after position i can add to any single user:
 *   rest_i = min( Σ_{j>i} x(u,m_j)·max_v x(v,m_j),   (per-list maxima)
 *                 ‖x(u, m_{>i})‖₂ · max_v ‖x_v‖₂ )    (Cauchy–Schwarz)
 * 1. New candidates. When list i is reached, a user v not touched by lists 0..i−1 has
 *    s(v) ≤ x(u,m_i)·x(v,m_i) + rest_i. Lists are sorted by x descending, so once
 *    x(u,m_i)·x(v,m_i) + rest_i < θ, no later posting of list i can be a top-k user that was
 *    unseen before i: the scan of list i stops there (cut value c_i = first unscanned x).
 * 2. Touched candidates. A touched v may miss the cut tails of earlier lists; each missing term is
 *    ≤ x(u,m_i)·c_i, so s(v) ≤ acc[v] + G with G = Σ_cut x(u,m_i)·c_i. Only touched users with
 *    acc[v] + G ≥ θ are verified (exactly), in decreasing acc order, θ rising as they enter.
 * 3. A user never touched was cut from the first of u's lists that holds it (case 1), so
 *    s(v) < θ at that time ≤ final θ.
 * θ is raised early ("early verification"): before a long list, the top k touched users by
 * partial score are verified exactly, which lifts θ to near its final value while the long lists
 * are still unscanned. All comparisons against θ use a relative safety margin (1e-6) that covers
 * float32 posting values and rounding in the bounds: pruning only ever keeps more.
 *
 * ## Filters (eligibility groups, ranges, exclusions), applied during generation
 * The admissible set A(u) is the users v ≠ u passing every filter; the pool is the top k of
 * A(u). Group and range filters are tested in the accumulation loop, so an inadmissible v is
 * never accumulated, touched or verified. Exclusions are stamped like u itself before the scan
 * (`stampOf[v] = stamp`): they may still accumulate a partial sum, but every path into the heap
 * (early verification, final verification) skips stamped users, so they are never verified or
 * offered. Exactness is unchanged: θ is still the k-th best exact score among verified users of
 * A(u) only (nothing else enters the heap), and every bound above (`rest_i` from per-list maxima
 * over all postings and max‖x_v‖ over all users, the cut values c_i, G) is an upper bound over all
 * users, a superset of A(u), hence also over A(u). Steps 1–3 of the proof then hold with
 * "user" read as "user of A(u)".
 */

/** Which bounds the kernel applies (all on by default; turning them off is for measurements). */
export interface PruningOptions {
  /** Per-list maxima bound on what later lists can add. */
  listMax: boolean;
  /** Cauchy–Schwarz bound ‖suffix of u‖·max‖x_v‖. */
  norm: boolean;
  /** Verify the partial top k before long lists to raise θ early. */
  earlyVerify: boolean;
  /** Cut posting lists at all (false = plain exhaustive inverted index). */
  cut: boolean;
  /**
   * When to verify early: `auto` before a list longer than twice the users touched since the last
   * round plus 32·k (a round costs about that much), `always` before every list (tests).
   */
  refresh?: 'auto' | 'always';
}

/** Default pruning: everything on. */
export const FULL_PRUNING: PruningOptions = { listMax: true, norm: true, earlyVerify: true, cut: true };

/** Options of candidate generation. */
export interface CandidateOptions {
  /** Pool size per user (e.g. `candidatePoolSize`, or `topK` for the offline CLI). */
  k: number;
  /** Query users (a shard); all users `0..userCount-1` when absent. */
  users?: Int32Array;
  /** Pairs sharing fewer weighted merchants do not qualify (default 1). */
  minSharedMerchants?: number;
  /** Admissible pairs only; applied while scanning. */
  eligibility?: Eligibility;
  /**
   * Users that are never candidates of each other (blocks, repeat cooldown); symmetrised by the
   * core, so one direction per pair is enough. Applied before verification (see the module
   * comment).
   */
  exclude?: Exclusions;
  /** Interval filter (age within each side's range), applied while scanning; symmetric. */
  ranges?: Ranges;
  pruning?: PruningOptions;
  /**
   * Symmetric full runs: how many leading columns are read by lookup instead of scanned, with a
   * heavy-only pass after the scan (symmetric-plan.ts). Default: {@link chooseHeavyColumns}; 0
   * runs the plain symmetric scan. Every value gives the same pools, bit for bit.
   */
  heavyColumns?: number;
  /**
   * Count each entry's shared weighted merchants (default true). False, honoured by symmetric
   * full runs when `minSharedMerchants` ≤ 1, reports them as 0 and skips the per-posting count
   * and its U·k array (the offline CLI, which does not print them).
   */
  countShared?: boolean;
  /** Symmetric full runs: partners per block of a user's scan (symmetric.ts; any value, the same pools). */
  blockUsers?: number;
}

/** Whether a run keeps shared-merchant counts (see {@link CandidateOptions.countShared}). */
export function countsShared(options: CandidateOptions): boolean {
  return (options.countShared ?? true) || (options.minSharedMerchants ?? 1) > 1;
}

/** Work counters of a run (summed over users). */
export interface KernelStats {
  users: number;
  /** Postings in the query users' lists: what an exhaustive inverted index would scan. */
  postingsTotal: number;
  /** Postings actually scanned. */
  postingsScanned: number;
  /** Exact verifications (dot products over a candidate's row). */
  verified: number;
  /** Early-verification rounds. */
  refreshes: number;
}

/** Empty counters. */
export function emptyStats(): KernelStats {
  return { users: 0, postingsTotal: 0, postingsScanned: 0, verified: 0, refreshes: 0 };
}

/**
 * Candidate pools of the query users, flattened: the pool of `users[i]` is
 * `candidates/overlap/shared[offsets[i]..offsets[i+1])`, best first (overlap descending, then
 * smaller index). `overlap` is raw (unscaled; see {@link scaleOverlap}); `maxOverlap` is the
 * largest pool score (over a full run: the run's largest pair).
 */
export interface CandidatePools {
  users: Int32Array;
  offsets: Int32Array;
  candidates: Int32Array;
  overlap: Float64Array;
  shared: Uint16Array;
  maxOverlap: number;
  stats: KernelStats;
}

const MARGIN = 1e-6;

/** A reusable per-thread kernel: scratch arrays sized once for the matrix. */
export interface CandidateKernel {
  /** Fills `heap` with u's exact pool (heap capacity = k). */
  pool(u: number, heap: TopK): void;
  readonly stats: KernelStats;
}

/** Creates the kernel of {@link generateCandidates} (exposed for worker threads). */
export function createCandidateKernel(
  matrix: ScoringMatrix,
  options: Omit<CandidateOptions, 'users'>,
): CandidateKernel {
  const { userCount: U, merchantCount: M, rowPtr, cols, vals, listPtr, listUser, listVal, listMax } = matrix;
  const k = options.k;
  if (!Number.isInteger(k) || k < 0) throw new RangeError('k must be a non-negative integer');
  const minShared = options.minSharedMerchants ?? 1;
  const requested = options.pruning ?? FULL_PRUNING;
  // cuts need lists sorted by value; lists in user order are scanned whole (still exact)
  const pruning = matrix.postingOrder === 'value' ? requested : { ...requested, cut: false };
  const elig = options.eligibility;
  if (elig) assertEligibility(elig, U);
  const ranges = options.ranges;
  if (ranges) assertRanges(ranges, U);
  const exclude = options.exclude && prepareExclusions(options.exclude, U);
  const always = pruning.refresh === 'always';
  const maxRowNorm = matrix.maxRowNorm;

  let maxRow = 0;
  for (let u = 0; u < U; u++) maxRow = Math.max(maxRow, rowPtr[u + 1]! - rowPtr[u]!);
  const acc = new Float64Array(U);
  const touched = new Int32Array(U);
  const stampOf = new Int32Array(U);
  const cand = new Int32Array(U);
  const xu = new Float64Array(M);
  const ord = new Int32Array(maxRow);
  const restMax = new Float64Array(maxRow + 1);
  const restSq = new Float64Array(maxRow + 1);
  const partial = new TopK(k);
  const stats = emptyStats();
  let stamp = 0;

  /** Exact overlap of (u, v) in scipy's order; returns the shared count through `lastShared`. */
  let lastShared = 0;
  const exact = (v: number): number => {
    let s = 0;
    let c = 0;
    // descending merchant order: scipy's `diags(1/scale) @ X` leaves each row's columns reversed,
    // and its sparse product then adds a pair's terms in that order
    for (let j = rowPtr[v + 1]! - 1, s0 = rowPtr[v]!; j >= s0; j--) {
      const a = xu[cols[j]!]!;
      if (a !== 0) {
        s += a * vals[j]!;
        c++;
      }
    }
    lastShared = c;
    return s;
  };

  const offer = (v: number, heap: TopK): void => {
    stampOf[v] = stamp;
    stats.verified++;
    const s = exact(v);
    if (s > 0 && lastShared >= minShared) heap.push(v, s, Math.min(lastShared, 65535));
  };

  /** Verifies the k best unverified touched users by partial score. */
  const refresh = (nT: number, heap: TopK): void => {
    stats.refreshes++;
    partial.clear();
    for (let i = 0; i < nT; i++) {
      const v = touched[i]!;
      if (stampOf[v] !== stamp) partial.push(v, acc[v]!, 0);
    }
    for (let i = 0; i < partial.size; i++) offer(partial.ids[i]!, heap);
  };

  const pool = (u: number, heap: TopK): void => {
    heap.clear();
    stats.users++;
    stamp++;
    stampOf[u] = stamp; // never a candidate of itself
    if (exclude) {
      // nor of the users it excludes or that exclude it (the lists are closed)
      const { offsets: xo, ids: xi } = exclude;
      for (let i = xo[u]!, e = xo[u + 1]!; i < e; i++) stampOf[xi[i]!] = stamp;
    }
    const s0 = rowPtr[u]!;
    const L = rowPtr[u + 1]! - s0;
    if (L === 0 || k === 0) return;
    for (let j = 0; j < L; j++) {
      xu[cols[s0 + j]!] = vals[s0 + j]!;
      ord[j] = cols[s0 + j]!;
    }
    // shortest lists first (insertion sort; rows are short)
    for (let i = 1; i < L; i++) {
      const m = ord[i]!;
      const len = listPtr[m + 1]! - listPtr[m]!;
      let j = i - 1;
      while (j >= 0) {
        const o = ord[j]!;
        const lo = listPtr[o + 1]! - listPtr[o]!;
        if (lo < len || (lo === len && o < m)) break;
        ord[j + 1] = o;
        j--;
      }
      ord[j + 1] = m;
    }
    restMax[L] = 0;
    restSq[L] = 0;
    for (let i = L - 1; i >= 0; i--) {
      const m = ord[i]!;
      const a = xu[m]!;
      restMax[i] = restMax[i + 1]! + a * listMax[m]!;
      restSq[i] = restSq[i + 1]! + a * a;
      stats.postingsTotal += listPtr[m + 1]! - listPtr[m]!;
    }

    let nT = 0;
    let refreshedAt = 0;
    let G = 0;
    const gBase = elig ? elig.group[u]! * elig.groupCount : 0;
    for (let i = 0; i < L; i++) {
      const m = ord[i]!;
      const a = xu[m]!;
      const p0 = listPtr[m]!;
      let p1 = listPtr[m + 1]!;
      if (pruning.cut) {
        if (
          pruning.earlyVerify &&
          nT > refreshedAt &&
          (always || p1 - p0 > 2 * (nT - refreshedAt) + 32 * k)
        ) {
          refresh(nT, heap);
          refreshedAt = nT;
        }
        const theta = heap.worstScore();
        if (theta > 0) {
          let rest = Infinity;
          if (pruning.listMax) rest = restMax[i + 1]!;
          if (pruning.norm) rest = Math.min(rest, Math.sqrt(restSq[i + 1]!) * maxRowNorm);
          // prune postings with a·x + rest < θ(1 − margin)
          const lim = (theta * (1 - MARGIN) - rest) / (a * (1 + MARGIN));
          if (lim > 0 && listVal[p0]! < lim) {
            G += a * listVal[p0]!;
            p1 = p0;
          } else if (lim > 0 && listVal[p1 - 1]! < lim) {
            let lo = p0;
            let hi = p1 - 1; // listVal[lo] ≥ lim > listVal[hi]
            while (hi - lo > 1) {
              const mid = (lo + hi) >>> 1;
              if (listVal[mid]! < lim) hi = mid;
              else lo = mid;
            }
            G += a * listVal[hi]!;
            p1 = hi;
          }
        }
      }
      stats.postingsScanned += p1 - p0;
      if (ranges) {
        // ranges (and groups when given): one loop, filters tested per posting
        const { value, min, max } = ranges;
        const vu = value[u]!;
        const lo = min[u]!;
        const hi = max[u]!;
        const group = elig?.group;
        const mayPair = elig?.mayPair;
        for (let p = p0; p < p1; p++) {
          const v = listUser[p]!;
          const x = value[v]!;
          if (x < lo || x > hi || min[v]! > vu || max[v]! < vu) continue;
          if (mayPair !== undefined && mayPair[gBase + group![v]!] === 0) continue;
          touched[nT] = v;
          nT += acc[v] === 0 ? 1 : 0;
          acc[v]! += a * listVal[p]!;
        }
      } else if (elig) {
        const group = elig.group;
        const mayPair = elig.mayPair;
        for (let p = p0; p < p1; p++) {
          const v = listUser[p]!;
          if (mayPair[gBase + group[v]!] === 0) continue;
          touched[nT] = v;
          nT += acc[v] === 0 ? 1 : 0;
          acc[v]! += a * listVal[p]!;
        }
      } else {
        for (let p = p0; p < p1; p++) {
          const v = listUser[p]!;
          touched[nT] = v;
          nT += acc[v] === 0 ? 1 : 0;
          acc[v]! += a * listVal[p]!;
        }
      }
    }

    // verification
    if (nT > refreshedAt) refresh(nT, heap);
    const theta = heap.worstScore();
    const floor = theta > 0 ? theta * (1 - MARGIN) : -Infinity;
    let nc = 0;
    for (let i = 0; i < nT; i++) {
      const v = touched[i]!;
      if (stampOf[v] !== stamp && (acc[v]! + G) * (1 + MARGIN) >= floor) cand[nc++] = v;
    }
    if (nc > 0) {
      const list = Array.from(cand.subarray(0, nc));
      list.sort((x, y) => acc[y]! - acc[x]! || x - y);
      for (const v of list) {
        const t = heap.worstScore();
        if (t > 0 && (acc[v]! + G) * (1 + MARGIN) < t * (1 - MARGIN)) break;
        offer(v, heap);
      }
    }
    for (let i = 0; i < nT; i++) acc[touched[i]!] = 0;
    for (let j = 0; j < L; j++) xu[cols[s0 + j]!] = 0;
  };

  return { pool, stats };
}

/** The plan's `heavy` override from the candidate options. */
export function heavyOption(options: CandidateOptions): { heavy?: number } {
  return options.heavyColumns === undefined ? {} : { heavy: options.heavyColumns };
}

/** All users `0..n-1`. */
export function allUsers(n: number): Int32Array {
  const users = new Int32Array(n);
  for (let i = 0; i < n; i++) users[i] = i;
  return users;
}

/**
 * Whether a run uses the symmetric full-run kernel (each pair once, see symmetric.ts): every user
 * is queried, posting lists are in user order, the eligibility filter is symmetric and no
 * pruning override is given. Ranges and exclusions are symmetric (exclusions once closed), so
 * they never force the one-sided kernel.
 */
export function useSymmetric(matrix: ScoringMatrix, options: CandidateOptions): boolean {
  return (
    options.users === undefined &&
    options.pruning === undefined &&
    matrix.postingOrder === 'user' &&
    isSymmetric(options.eligibility)
  );
}

/**
 * The exact pools of the query users (single thread). See the module comment for the pruned
 * algorithm and its proof, and symmetric.ts for the full-run kernel; both equal brute force.
 *
 * Filters, all applied during generation (a pool is the top k of the admissible users, never a
 * filtered top k): `eligibility` (group × group), `ranges` (`min[u] ≤ value[v] ≤ max[u]` and the
 * same with u, v swapped) and `exclude` (CSR lists; a pair is excluded when either side lists the
 * other: the lists are symmetrised here once, so callers may give each pair in one direction).
 * Without filters the scan loops are the unfiltered ones (no per-posting test).
 */
export function generateCandidates(matrix: ScoringMatrix, options: CandidateOptions): CandidatePools {
  if (options.exclude !== undefined && options.exclude.closed !== true) {
    options = { ...options, exclude: closeExclusions(options.exclude, matrix.userCount) };
  }
  if (useSymmetric(matrix, options)) {
    const heaps = createPairHeaps(matrix.userCount, options.k, { counts: countsShared(options) });
    const plan = planSymmetric(matrix, heavyOption(options));
    const kernel = createSymmetricKernel(matrix, {
      ...(options.minSharedMerchants !== undefined && { minSharedMerchants: options.minSharedMerchants }),
      ...(options.eligibility !== undefined && { eligibility: options.eligibility }),
      ...(options.exclude !== undefined && { exclude: options.exclude }),
      ...(options.ranges !== undefined && { ranges: options.ranges }),
      ...(plan.heavy > 0 && { plan }),
      countShared: countsShared(options),
      ...(options.blockUsers !== undefined && { blockUsers: options.blockUsers }),
    });
    for (let u = matrix.userCount - 1; u >= 0; u--) kernel.scan(u, heaps);
    if (plan.heavy > 0) for (let u = 0; u < matrix.userCount; u++) kernel.heavyOnly(u, heaps);
    const stats = emptyStats();
    stats.users = matrix.userCount;
    stats.postingsScanned = kernel.stats.postingsScanned;
    return pairHeapsToPools([heaps], stats);
  }
  const users = options.users ?? allUsers(matrix.userCount);
  for (const u of users) {
    if (!(u >= 0 && u < matrix.userCount)) throw new RangeError(`query user ${String(u)} out of range`);
  }
  const kernel = createCandidateKernel(matrix, options);
  const heap = new TopK(options.k);
  const out = new PoolBuilder(users, options.k);
  for (let i = 0; i < users.length; i++) {
    kernel.pool(users[i]!, heap);
    out.append(heap);
  }
  return out.finish(kernel.stats);
}

/** Accumulates pools into growable flat arrays. */
export class PoolBuilder {
  private candidates: Int32Array;
  private overlap: Float64Array;
  private shared: Uint16Array;
  private readonly offsets: Int32Array;
  private n = 0;
  private i = 0;
  private max = 0;

  constructor(
    private readonly users: Int32Array,
    k: number,
  ) {
    const cap = Math.max(16, Math.min(users.length * k, users.length * 16));
    this.candidates = new Int32Array(cap);
    this.overlap = new Float64Array(cap);
    this.shared = new Uint16Array(cap);
    this.offsets = new Int32Array(users.length + 1);
  }

  /** Appends the next user's pool (drains the heap). */
  append(heap: TopK): void {
    const need = this.n + heap.size;
    if (need > this.candidates.length) {
      const cap = Math.max(need, Math.ceil(this.candidates.length * 1.5));
      this.candidates = grow(this.candidates, new Int32Array(cap));
      this.overlap = grow(this.overlap, new Float64Array(cap));
      this.shared = grow(this.shared, new Uint16Array(cap));
    }
    this.n += heap.drainSorted(this.candidates, this.overlap, this.shared, this.n);
    const first = this.offsets[this.i]!;
    if (this.n > first && this.overlap[first]! > this.max) this.max = this.overlap[first]!;
    this.offsets[++this.i] = this.n;
  }

  finish(stats: KernelStats): CandidatePools {
    return {
      users: this.users,
      offsets: this.offsets,
      candidates: this.candidates.slice(0, this.n),
      overlap: this.overlap.slice(0, this.n),
      shared: this.shared.slice(0, this.n),
      maxOverlap: this.max,
      stats,
    };
  }
}

/**
 * Merges heap sets (see symmetric.ts) into the first one and returns its pools as views over its
 * buffers, compacted in place (no copy of the U·k slots).
 */
export function pairHeapsToPools(sets: PairHeaps[], stats: KernelStats, merged = false): CandidatePools {
  const into = sets[0]!;
  const U = into.size.length;
  if (!merged) mergePairHeapsSorted(sets, into, 0, U);
  const { k, ids, scores, shared, size } = into;
  const offsets = new Int32Array(U + 1);
  let n = 0;
  let max = 0;
  for (let u = 0; u < U; u++) {
    const base = u * k;
    const c = size[u]!;
    if (c > 0 && scores[base]! > max) max = scores[base]!;
    if (n !== base) {
      ids.copyWithin(n, base, base + c);
      scores.copyWithin(n, base, base + c);
      shared.copyWithin(n, base, base + c);
    }
    n += c;
    offsets[u + 1] = n;
  }
  return {
    users: allUsers(U),
    offsets,
    candidates: ids.subarray(0, n),
    overlap: scores.subarray(0, n),
    shared: shared.length !== 0 ? shared.subarray(0, n) : new Uint16Array(n),
    maxOverlap: max,
    stats,
  };
}

function grow<T extends Int32Array | Float64Array | Uint16Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

/**
 * Scaled overlap of design section 4: cosine scores are already in [0, 1]; `sqrt` and `none`
 * scores are divided by the run's largest pair `runMax` (the maximum of every shard's
 * `maxOverlap`), so the best pair of the run is 1.
 */
export function scaleOverlap(
  raw: number,
  normalization: ScoringMatrix['normalization'],
  runMax: number,
): number {
  if (normalization === 'cosine' || runMax <= 0) return raw;
  return raw / runMax;
}
