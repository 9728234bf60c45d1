import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import {
  allUsers,
  countsShared,
  emptyStats,
  generateCandidates,
  pairHeapsToPools,
  heavyOption,
  useSymmetric,
  type CandidateOptions,
  type CandidatePools,
  type KernelStats,
} from '../core/scoring/candidates.ts';
import type { Eligibility } from '../core/scoring/eligibility.ts';
import { assertRanges, closeExclusions, type Ranges } from '../core/scoring/filters.ts';
import type { ScoringMatrix } from '../core/scoring/matrix.ts';
import { createHeapGate, createPairHeaps, type PairHeaps } from '../core/scoring/symmetric.ts';
import { planSymmetric, type SymmetricPlan } from '../core/scoring/symmetric-plan.ts';
import { shareArray } from './shared-arrays.ts';
import { startSiblingWorker } from './worker-boot.ts';

/** Options of {@link computeCandidates}. */
export interface ParallelCandidateOptions extends CandidateOptions {
  /** Worker threads (default: available parallelism); 0 runs inline on the calling thread. */
  threads?: number;
  /** Query users per work item handed to a thread (default 512). */
  chunkSize?: number;
  /** Called after each finished work item with users done so far. */
  onProgress?: (done: number, total: number) => void;
}

/** Sent to each worker at start: the shared matrix and the kernel options. */
export interface WorkerInit {
  matrix: ScoringMatrix;
  options: Omit<CandidateOptions, 'users'>;
  /** Symmetric full run: every thread's heap set (shared), this thread's index and the plan. */
  symmetric?: { heaps: PairHeaps[]; self: number; plan?: SymmetricPlan };
}

/** Symmetric runs: merge users `[from, to)` of all heap sets into the first. */
export interface MergeRequest {
  type: 'merge';
  from: number;
  to: number;
}

/** Symmetric runs with heavy columns, after every chunk: the heavy-only pairs of these users. */
export interface HeavyRequest {
  type: 'heavy';
  users: Int32Array;
}

/** What a thread answers to a request. */
export type WorkerReply = ChunkResult | { type: 'merged' };

/** A work item: query users of one chunk. */
export interface ChunkRequest {
  type: 'chunk';
  id: number;
  users: Int32Array;
}

/** The pools of one chunk (buffers transferred, not copied). */
export interface ChunkResult {
  type: 'done';
  id: number;
  /** Pruned runs: the chunk's pools. Symmetric runs: stats only (pools live in the heaps). */
  pools?: CandidatePools;
  stats: KernelStats;
}

const ARRAY_KEYS = [
  'rowPtr',
  'cols',
  'vals',
  'weightNorm',
  'df',
  'stop',
  'listPtr',
  'listUser',
  'listVal',
  'listMax',
] as const;

/**
 * The matrix with every array in a SharedArrayBuffer (arrays already shared are kept; others are
 * copied once). Build with `{ shared: true }` to avoid the copy.
 */
export function shareMatrix(m: ScoringMatrix): ScoringMatrix {
  const out: ScoringMatrix = { ...m };
  for (const key of ARRAY_KEYS) {
    (out as unknown as Record<string, unknown>)[key] = shareArray(m[key]);
  }
  return out;
}

/** The filters with their arrays in SharedArrayBuffers, so threads read one copy. */
function shareFilters(
  options: CandidateOptions,
  userCount: number,
): Pick<CandidateOptions, 'eligibility' | 'exclude' | 'ranges'> {
  const { eligibility: e, exclude: x, ranges: r } = options;
  if (r) assertRanges(r, userCount);
  const eligibility: Eligibility | undefined = e && {
    group: shareArray(e.group),
    groupCount: e.groupCount,
    mayPair: shareArray(e.mayPair),
  };
  const ranges: Ranges | undefined = r && {
    value: shareArray(r.value),
    min: shareArray(r.min),
    max: shareArray(r.max),
  };
  return {
    ...(eligibility && { eligibility }),
    // closed once here (symmetrised, sorted), so workers use it as is
    ...(x && { exclude: closeExclusions(x, userCount, true) }),
    ...(ranges && { ranges }),
  };
}

/**
 * Exact candidate pools of `options.users` (default: every user), computed on `threads` worker
 * threads that share the immutable matrix (SharedArrayBuffer, no copy per thread). Work is
 * handed out in chunks on demand, so threads stay busy; results are identical to
 * {@link generateCandidates} on one thread.
 *
 * A full run on a matrix with posting lists in user order uses the symmetric kernel (each pair
 * once; one heap set per thread, merged at the end). A shard (a subset of users) uses the pruned
 * one-sided kernel and returns the same pools as the matching slice of a full run; `maxOverlap`
 * is the shard's largest pair, and the run's scaling constant is the maximum over all shards.
 *
 * The filters of {@link generateCandidates} (`eligibility`, `ranges`, `exclude`) apply during
 * generation on every path (inline, threads, full run, shard), with the same results; their arrays
 * are copied once into SharedArrayBuffers and `exclude` is symmetrised once here, so each pair
 * need be listed in one direction only.
 */
export async function computeCandidates(
  matrix: ScoringMatrix,
  options: ParallelCandidateOptions,
): Promise<CandidatePools> {
  const { threads = availableParallelism(), chunkSize, onProgress, ...kernelOptions } = options;
  const users = options.users ?? allUsers(matrix.userCount);
  if (threads <= 0 || users.length === 0) {
    const pools = generateCandidates(matrix, kernelOptions);
    onProgress?.(users.length, users.length);
    return pools;
  }
  for (const u of users) {
    if (!(u >= 0 && u < matrix.userCount)) throw new RangeError(`query user ${String(u)} out of range`);
  }
  const symmetric = useSymmetric(matrix, kernelOptions);
  const size = chunkSize ?? (symmetric ? 256 : 512);
  const chunks: Int32Array[] = [];
  if (symmetric) {
    // descending ids: the symmetric kernel's fast scan order (symmetric.ts, "Scan order")
    for (let e = users.length; e > 0; e -= size) chunks.push(users.slice(Math.max(0, e - size), e).reverse());
  } else {
    for (let s = 0; s < users.length; s += size) chunks.push(users.slice(s, s + size));
  }
  const n = Math.min(threads, chunks.length);
  // one gate for all heap sets: each thread rejects pairs by what every thread has kept
  const gate = symmetric ? createHeapGate(matrix.userCount, kernelOptions.k, true) : undefined;
  const heaps = gate
    ? Array.from({ length: n }, () =>
        createPairHeaps(matrix.userCount, kernelOptions.k, {
          shared: true,
          gate,
          counts: countsShared(kernelOptions),
        }),
      )
    : [];
  const results: (CandidatePools | undefined)[] = new Array<CandidatePools | undefined>(chunks.length);
  const stats = emptyStats();
  const shared = shareMatrix(matrix);
  const kernel: Omit<CandidateOptions, 'users'> = {
    k: kernelOptions.k,
    ...(kernelOptions.minSharedMerchants !== undefined && {
      minSharedMerchants: kernelOptions.minSharedMerchants,
    }),
    ...shareFilters(kernelOptions, matrix.userCount),
    ...(kernelOptions.pruning !== undefined && { pruning: kernelOptions.pruning }),
    countShared: countsShared(kernelOptions),
    ...(kernelOptions.blockUsers !== undefined && { blockUsers: kernelOptions.blockUsers }),
  };
  // the plan (dense heavy weights, bounds) is computed once here and shared by every thread
  const plan = symmetric ? planSymmetric(shared, { ...heavyOption(kernelOptions), shared: true }) : undefined;
  const workers = Array.from({ length: n }, (_, t) =>
    startSiblingWorker('parallel-worker', {
      matrix: shared,
      options: kernel,
      ...(symmetric && { symmetric: { heaps, self: t, ...(plan && { plan }) } }),
    }),
  );
  // a thread that fails or exits rejects whichever phase is running
  let fail: (err: Error) => void = () => undefined;
  for (const worker of workers) {
    worker.on('error', (err) => fail(err));
    worker.on('exit', (code) => {
      if (code !== 0) fail(new Error(`scoring worker exited with code ${String(code)}`));
    });
  }
  /** Hands `requests` out to the threads on demand; resolves when every one was answered. */
  const dispatch = <R>(requests: R[], onReply: (reply: WorkerReply, request: R) => void): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      fail = reject;
      let next = 0;
      let answered = 0;
      if (requests.length === 0) {
        resolve();
        return;
      }
      const feed = (worker: Worker): void => {
        if (next >= requests.length) return;
        const request = requests[next++]!;
        worker.once('message', (reply: WorkerReply) => {
          onReply(reply, request);
          if (++answered === requests.length) resolve();
          else feed(worker);
        });
        worker.postMessage(request);
      };
      for (const worker of workers) feed(worker);
    });
  try {
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            fail = reject;
            worker.once('message', () => resolve());
          }),
      ),
    );
    let done = 0;
    const chunkRequests: ChunkRequest[] = chunks.map((c, id) => ({ type: 'chunk', id, users: c }));
    await dispatch(chunkRequests, (reply, request) => {
      if (reply.type !== 'done') return;
      if (reply.pools) results[reply.id] = reply.pools;
      for (const key of Object.keys(stats) as (keyof KernelStats)[]) stats[key] += reply.stats[key];
      done += request.users.length;
      onProgress?.(done, users.length);
    });
    if (symmetric) {
      if (plan !== undefined && plan.heavy > 0) {
        const heavyRequests: HeavyRequest[] = chunks.map((c) => ({ type: 'heavy', users: c }));
        await dispatch(heavyRequests, (reply) => {
          if (reply.type === 'done')
            for (const key of Object.keys(stats) as (keyof KernelStats)[]) stats[key] += reply.stats[key];
        });
      }
      const per = Math.ceil(matrix.userCount / n);
      const mergeRequests: MergeRequest[] = Array.from({ length: n }, (_, t) => ({
        type: 'merge',
        from: t * per,
        to: Math.min(matrix.userCount, (t + 1) * per),
      }));
      await dispatch(mergeRequests, () => undefined);
    }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  if (symmetric) return pairHeapsToPools(heaps, stats, true);
  return mergePools(
    users,
    results.map((r) => r!),
  );
}

/** Concatenates chunk pools (in query order). */
export function mergePools(users: Int32Array, parts: CandidatePools[]): CandidatePools {
  let total = 0;
  for (const p of parts) total += p.candidates.length;
  const offsets = new Int32Array(users.length + 1);
  const candidates = new Int32Array(total);
  const overlap = new Float64Array(total);
  const shared = new Uint16Array(total);
  const stats: KernelStats = emptyStats();
  let maxOverlap = 0;
  let at = 0;
  let row = 0;
  for (const p of parts) {
    candidates.set(p.candidates, at);
    overlap.set(p.overlap, at);
    shared.set(p.shared, at);
    for (let i = 1; i < p.offsets.length; i++) offsets[row + i] = at + p.offsets[i]!;
    row += p.offsets.length - 1;
    at += p.candidates.length;
    maxOverlap = Math.max(maxOverlap, p.maxOverlap);
    for (const key of Object.keys(stats) as (keyof KernelStats)[]) stats[key] += p.stats[key];
  }
  return { users, offsets, candidates, overlap, shared, maxOverlap, stats };
}
