import { lnExact } from './exact-math.ts';
import { reduceatSum } from './pairwise-sum.ts';
import { categoryWeightTable, type WeightSet } from './weight-set.ts';
import { MERCHANT_CATEGORIES } from './weight-set.ts';

/** An integer or float column of one value per aggregate row. */
export type NumericColumn = Int32Array | Uint32Array | Int16Array | Uint16Array | Float32Array | Float64Array;

/**
 * Per-(user, merchant) aggregates over the window, as columns of equal length. Users and
 * merchants are dense indices `0..userCount-1`, `0..merchantCount-1`.
 * `lastVisitDay` is the day index in the window: `windowDays − 1` is the newest day, so the age of
 * a row is `windowDays − 1 − lastVisitDay` days. Duplicate (user, merchant) rows are allowed.
 */
export interface VisitColumns {
  userCount: number;
  merchantCount: number;
  user: Int32Array;
  merchant: Int32Array;
  visits: NumericColumn;
  lastVisitDay: NumericColumn;
  /** Category of each merchant as an index into {@link MERCHANT_CATEGORIES}; absent = weight 1. */
  merchantCategory?: Uint8Array;
}

/** The weight-set fields that shape the feature matrix. */
export type MatrixWeights = Pick<
  WeightSet,
  | 'windowDays'
  | 'visitTransform'
  | 'idfExponent'
  | 'recencyHalfLifeDays'
  | 'maxMerchantShare'
  | 'categoryWeights'
  | 'normalization'
>;

/**
 * The normalized feature matrix (CSR over users) and its inverted index (posting lists over
 * merchants). Immutable once built; every array may live in a SharedArrayBuffer.
 *
 * Invariants:
 * - `vals[j] = w(u, cols[j]) · (1 / scale(u))` for `j ∈ [rowPtr[u], rowPtr[u+1])`, columns strictly
 *   increasing, no zero entries; `scale = ‖w_u‖` (cosine), `√‖w_u‖` (sqrt) or 1 (none), with
 *   `‖w_u‖ = 1` taken for a user without weight; so `overlap(u,v)` before run scaling is
 *   `Σ_m vals(u,m)·vals(v,m)`.
 * - Posting list of merchant m: `listUser/listVal[listPtr[m]..listPtr[m+1])`, the users with a
 *   nonzero weight at m and their `vals`, in {@link PostingOrder}. `listMax[m]` is the largest
 *   value of the list (0 when empty).
 * - `maxRowNorm = max_u ‖vals_u‖₂` (1 for cosine, up to rounding).
 */
export interface ScoringMatrix {
  userCount: number;
  merchantCount: number;
  /** N: users with at least one aggregate row (the idf population). */
  activeUsers: number;
  normalization: WeightSet['normalization'];
  rowPtr: Int32Array;
  cols: Int32Array;
  vals: Float64Array;
  /** ‖w_u‖₂ before normalization (0 for a user without weight). */
  weightNorm: Float64Array;
  /**
   * Users with at least one row at the merchant (counted before any weight is zeroed): the input's,
   * or those of the {@link IdfPopulation} the matrix was built with.
   */
  df: Int32Array;
  /** 1 for a stop-merchant: `df/N > maxMerchantShare`. */
  stop: Uint8Array;
  listPtr: Int32Array;
  listUser: Int32Array;
  listVal: Float64Array;
  listMax: Float64Array;
  /** How each posting list is ordered (see {@link PostingOrder}). */
  postingOrder: PostingOrder;
  maxRowNorm: number;
}

/**
 * Order of the posting lists: `user` (ascending user index: the symmetric full-run kernel reads
 * only the part after the query user) or `value` (descending weight, as rounded to float32, ties by
 * user: the pruned kernel cuts lists early).
 */
export type PostingOrder = 'user' | 'value';

/**
 * The idf population of a matrix built from part of a run: `N` and `df(m)` of the whole run. A
 * city scored on its own keeps the run's idf and stop-merchants (design section 4 defines them
 * over every eligible user), so its weights equal those of a matrix of the whole run.
 */
export interface IdfPopulation {
  /** N: the run's users with at least one row. */
  activeUsers: number;
  /** df(m) over the whole run, one entry per merchant. */
  df: Int32Array;
}

/** How the matrix is built: where its arrays live, its posting order, its idf population. */
export interface MatrixAllocation {
  /** Arrays in SharedArrayBuffers (worker threads). */
  shared?: boolean;
  /** Posting list order (default `value`). */
  postingOrder?: PostingOrder;
  /** N and df of a larger population (default: the input's own users). */
  population?: IdfPopulation;
}

function allocator(shared: boolean) {
  const buf = (bytes: number): ArrayBuffer | SharedArrayBuffer =>
    shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
  return {
    i32: (n: number) => new Int32Array(buf(n * 4)),
    f64: (n: number) => new Float64Array(buf(n * 8)),
    u8: (n: number) => new Uint8Array(buf(n)),
  };
}

/**
 * `f(n)` of design section 4: `log1p` → ln(1 + n), `binary` → sign(n), `linear` → n.
 * `Math.log1p` is fdlibm's, the lineage of glibc's log1p that numpy calls: it agrees with the
 * reference on all but a handful of visit counts below 5000 (unlike `ln`, see exact-math.ts).
 */
export function visitTransform(kind: WeightSet['visitTransform'], n: number): number {
  if (kind === 'log1p') return Math.log1p(n);
  if (kind === 'binary') return Math.sign(n);
  return n;
}

/**
 * Builds the weighted, normalized matrix of design section 4, in the conventions of the scipy
 * reference (`shared/bench/reference_topk.py`), bit for bit where its arithmetic is reproducible:
 * - `N` = users with ≥ 1 row; `df(m)` = distinct users with a row at m (rows with 0 visits count);
 * - `idf(m) = ln(N / df(m))`; stop-merchants (`df/N > maxMerchantShare`) get weight 0;
 * - per row `w = f(visits) · idf^idfExponent · 0.5^((windowDays − 1 − lastVisitDay)/halfLife)
 *   · categoryWeight` (recency factor only when halfLife > 0);
 * - duplicate (user, merchant) rows add their weights (scipy's `sum_duplicates`), then zero
 *   weights are dropped;
 * - `‖w_u‖ = √(w₁² + pairwise(w₂²…))` in numpy's summation order, 0 → 1.
 */
export function buildScoringMatrix(
  input: VisitColumns,
  weights: MatrixWeights,
  allocation: MatrixAllocation = {},
): ScoringMatrix {
  const { userCount: U, merchantCount: M, user, merchant, visits, lastVisitDay } = input;
  const R = user.length;
  if (merchant.length !== R || visits.length !== R || lastVisitDay.length !== R) {
    throw new RangeError('visit columns must have equal lengths');
  }
  const A = allocator(allocation.shared ?? false);

  // bucket rows by user (counting sort), then order each bucket by merchant
  const start = new Int32Array(U + 1);
  for (let r = 0; r < R; r++) {
    const u = user[r]!;
    const m = merchant[r]!;
    if (!(u >= 0 && u < U) || !(m >= 0 && m < M))
      throw new RangeError(`row ${String(r)}: index out of range`);
    start[u + 1]!++;
  }
  for (let u = 0; u < U; u++) start[u + 1]! += start[u]!;
  const order = new Int32Array(R);
  {
    const fill = start.slice(0, U);
    for (let r = 0; r < R; r++) order[fill[user[r]!]!++] = r;
  }
  for (let u = 0; u < U; u++) sortRowsByMerchant(order, start[u]!, start[u + 1]!, merchant);

  // N and df over distinct (user, merchant), or the given population's
  const df = A.i32(M);
  let N = 0;
  const population = allocation.population;
  if (population !== undefined) {
    if (population.df.length !== M) throw new RangeError('population df must have one entry per merchant');
    df.set(population.df);
    N = population.activeUsers;
  } else {
    for (let u = 0; u < U; u++) {
      const s = start[u]!;
      const e = start[u + 1]!;
      if (e > s) N++;
      let prev = -1;
      for (let j = s; j < e; j++) {
        const m = merchant[order[j]!]!;
        if (m !== prev) df[m]!++;
        prev = m;
      }
    }
  }

  // per-merchant factor idf^e · categoryWeight, 0 for stop-merchants
  const stop = A.u8(M);
  const idfPow = new Float64Array(M);
  const catW = categoryWeightTable(weights);
  const cat = input.merchantCategory;
  const lnCache = new Map<number, number>();
  for (let m = 0; m < M; m++) {
    const d = df[m]!;
    if (d === 0) continue;
    if (d / N > weights.maxMerchantShare) {
      stop[m] = 1;
      continue;
    }
    let idf = lnCache.get(d);
    if (idf === undefined) {
      idf = lnExact(N / d);
      lnCache.set(d, idf);
    }
    idfPow[m] = powExponent(idf, weights.idfExponent);
  }
  const merchantCatW = new Float64Array(M).fill(1);
  if (cat) {
    for (let m = 0; m < M; m++) {
      const c = cat[m]!;
      if (c >= MERCHANT_CATEGORIES.length) throw new RangeError(`merchant ${String(m)}: unknown category`);
      merchantCatW[m] = catW[c]!;
    }
  }

  // row weights, duplicates merged, zeros dropped
  const halfLife = weights.recencyHalfLifeDays;
  const newest = weights.windowDays - 1;
  const fCache = new Map<number, number>();
  const rowW = new Float64Array(R);
  for (let j = 0; j < R; j++) {
    const r = order[j]!;
    const m = merchant[r]!;
    if (idfPow[m] === 0) continue;
    const n = visits[r]!;
    let f = fCache.get(n);
    if (f === undefined) {
      f = visitTransform(weights.visitTransform, n);
      fCache.set(n, f);
    }
    let w = f * idfPow[m]!;
    if (halfLife > 0) w *= Math.pow(0.5, (newest - lastVisitDay[r]!) / halfLife);
    rowW[j] = w * merchantCatW[m]!;
  }

  const rowPtr = A.i32(U + 1);
  let nnz = 0;
  const tmpCols = new Int32Array(R);
  const tmpW = new Float64Array(R);
  const dup: number[] = [];
  for (let u = 0; u < U; u++) {
    const e = start[u + 1]!;
    let j = start[u]!;
    while (j < e) {
      const m = merchant[order[j]!]!;
      let w = rowW[j]!;
      let k = j + 1;
      if (k < e && merchant[order[k]!]! === m) {
        dup.length = 0;
        dup.push(w);
        while (k < e && merchant[order[k]!]! === m) dup.push(rowW[k++]!);
        dup.sort((a, b) => a - b);
        w = 0;
        for (const x of dup) w += x;
      }
      if (w !== 0) {
        tmpCols[nnz] = m;
        tmpW[nnz++] = w;
      }
      j = k;
    }
    rowPtr[u + 1] = nnz;
  }

  const cols = A.i32(nnz);
  cols.set(tmpCols.subarray(0, nnz));
  const vals = A.f64(nnz);
  const weightNorm = A.f64(U);
  let longestRow = 0;
  for (let u = 0; u < U; u++) longestRow = Math.max(longestRow, rowPtr[u + 1]! - rowPtr[u]!);
  const sq = new Float64Array(longestRow);
  let maxRowNorm = 0;
  for (let u = 0; u < U; u++) {
    const s = rowPtr[u]!;
    const e = rowPtr[u + 1]!;
    if (e === s) continue;
    for (let j = s; j < e; j++) sq[j - s] = tmpW[j]! * tmpW[j]!;
    const norm = Math.sqrt(reduceatSum(sq, 0, e - s));
    weightNorm[u] = norm;
    const n1 = norm === 0 ? 1 : norm;
    const scale =
      weights.normalization === 'cosine' ? n1 : weights.normalization === 'sqrt' ? Math.sqrt(n1) : 1;
    const inv = 1 / scale;
    let ss = 0;
    for (let j = s; j < e; j++) {
      const x = inv * tmpW[j]!;
      vals[j] = x;
      ss += x * x;
    }
    if (ss > maxRowNorm) maxRowNorm = ss;
  }
  maxRowNorm = Math.sqrt(maxRowNorm);

  const postingOrder = allocation.postingOrder ?? 'value';
  const index = buildPostings(U, M, rowPtr, cols, vals, A, postingOrder);
  return {
    userCount: U,
    merchantCount: M,
    activeUsers: N,
    normalization: weights.normalization,
    rowPtr,
    cols,
    vals,
    weightNorm,
    df,
    stop,
    ...index,
    postingOrder,
    maxRowNorm,
  };
}

function powExponent(x: number, e: number): number {
  if (e === 1) return x;
  if (e === 2) return x * x;
  if (e === 0.5) return Math.sqrt(x);
  return Math.pow(x, e);
}

function sortRowsByMerchant(order: Int32Array, s: number, e: number, merchant: Int32Array): void {
  let sorted = true;
  for (let j = s + 1; j < e; j++) {
    const a = merchant[order[j - 1]!]!;
    const b = merchant[order[j]!]!;
    if (a > b || (a === b && order[j - 1]! > order[j]!)) {
      sorted = false;
      break;
    }
  }
  if (sorted) return;
  const seg = Array.from(order.subarray(s, e));
  seg.sort((x, y) => merchant[x]! - merchant[y]! || x - y);
  order.set(seg, s);
}

function buildPostings(
  U: number,
  M: number,
  rowPtr: Int32Array,
  cols: Int32Array,
  vals: Float64Array,
  A: ReturnType<typeof allocator>,
  postingOrder: PostingOrder,
) {
  const nnz = cols.length;
  const listPtr = A.i32(M + 1);
  for (let j = 0; j < nnz; j++) listPtr[cols[j]! + 1]!++;
  for (let m = 0; m < M; m++) listPtr[m + 1]! += listPtr[m]!;
  const listUser = A.i32(nnz);
  const listVal = A.f64(nnz);
  const listMax = A.f64(M);
  const fill = listPtr.slice(0, M);
  for (let u = 0; u < U; u++) {
    for (let j = rowPtr[u]!; j < rowPtr[u + 1]!; j++) {
      const m = cols[j]!;
      const p = fill[m]!++;
      const x = vals[j]!;
      listUser[p] = u;
      listVal[p] = x;
      if (x > listMax[m]!) listMax[m] = x;
    }
  }
  if (postingOrder === 'value') sortPostings(listPtr, listUser, listVal);
  return { listPtr, listUser, listVal, listMax };
}

/**
 * Sorts every posting list by value (rounded to float32) descending, ties by user ascending (lists
 * are filled in user order and the radix sort is stable). Positive float32 values order like their
 * bit patterns. Values equal as float32 may be out of float64 order by a relative 6e-8, which the
 * pruning margin (1e-6) absorbs.
 */
function sortPostings(listPtr: Int32Array, listUser: Int32Array, listVal: Float64Array): void {
  const M = listPtr.length - 1;
  let longest = 0;
  for (let m = 0; m < M; m++) longest = Math.max(longest, listPtr[m + 1]! - listPtr[m]!);
  const f32 = new Float32Array(1);
  const f32bits = new Uint32Array(f32.buffer);
  const key = (x: number): number => {
    f32[0] = x;
    return f32bits[0]!;
  };
  const keyA = new Uint32Array(longest);
  const usrA = new Int32Array(longest);
  const valA = new Float64Array(longest);
  const keyB = new Uint32Array(longest);
  const usrB = new Int32Array(longest);
  const valB = new Float64Array(longest);
  const count = new Int32Array(256);
  for (let m = 0; m < M; m++) {
    const s = listPtr[m]!;
    const n = listPtr[m + 1]! - s;
    if (n < 2) continue;
    if (n <= 32) {
      for (let i = 1; i < n; i++) {
        const x = listVal[s + i]!;
        const k = key(x);
        const v = listUser[s + i]!;
        let j = i - 1;
        while (j >= 0 && key(listVal[s + j]!) < k) {
          listVal[s + j + 1] = listVal[s + j]!;
          listUser[s + j + 1] = listUser[s + j]!;
          j--;
        }
        listVal[s + j + 1] = x;
        listUser[s + j + 1] = v;
      }
      continue;
    }
    // LSD radix on the complemented key (ascending complement = descending value), 4 × 8 bits
    for (let i = 0; i < n; i++) {
      keyA[i] = ~key(listVal[s + i]!) >>> 0;
      usrA[i] = listUser[s + i]!;
      valA[i] = listVal[s + i]!;
    }
    for (let shift = 0; shift < 32; shift += 8) {
      const even = (shift & 8) === 0;
      const src = even ? keyA : keyB;
      const srcU = even ? usrA : usrB;
      const srcV = even ? valA : valB;
      const dst = even ? keyB : keyA;
      const dstU = even ? usrB : usrA;
      const dstV = even ? valB : valA;
      count.fill(0);
      for (let i = 0; i < n; i++) count[(src[i]! >>> shift) & 0xff]!++;
      let sum = 0;
      for (let b = 0; b < 256; b++) {
        const c = count[b]!;
        count[b] = sum;
        sum += c;
      }
      for (let i = 0; i < n; i++) {
        const d = count[(src[i]! >>> shift) & 0xff]!++;
        dst[d] = src[i]!;
        dstU[d] = srcU[i]!;
        dstV[d] = srcV[i]!;
      }
    }
    listUser.set(usrA.subarray(0, n), s);
    listVal.set(valA.subarray(0, n), s);
  }
}
