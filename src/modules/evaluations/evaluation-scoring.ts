import { pairOverlap } from '../../core/evaluation/pair-overlap.ts';
import type { RankedPool } from '../../core/evaluation/simulate-pairing.ts';
import type { IndexPair, PairingUser } from '../../core/pairing/index.ts';
import { scaleOverlap } from '../../core/scoring/candidates.ts';
import type { ScoringMatrix } from '../../core/scoring/matrix.ts';
import { rerankPool, type PoolSignals } from '../../core/scoring/rerank.ts';
import type { WeightSet } from '../../core/scoring/weight-set.ts';
import { computeCandidates } from '../../scoring/parallel.ts';
import type { CityUser } from '../pipeline/pipeline.repository.ts';
import {
  ageRanges,
  asPairingUser,
  buildCityMatrix,
  buildEligibility,
  coPresenceCount,
  exclusionsOf,
  minuteOffsets,
} from '../pipeline/shard-scoring.ts';
import type { Snapshot } from './evaluation-data.repository.ts';
import { yieldToEventLoop } from '../../queue/worker-lifecycle.ts';

/**
 * A weight set scored over a snapshot exactly as the nightly run scores it, without writing
 * anything: the run's matrix (global N and df), the exact pools of `candidatePoolSize` with the
 * eligibility groups, age ranges, blocks and cooldown applied during generation (the pipeline's
 * own shard helpers and the core's kernel), the run's overlap scale (its largest pair), and each
 * pool re-ranked by the core's `rerankPool` from the raw overlap as the run stores it (float32).
 * The pair stage cuts these ranked pools to `topK`; here they are kept whole so that simulated
 * later days can refill them.
 */

/** Below this many query users the kernel runs on the job's thread, as in a score shard. */
const INLINE_BELOW = 2_000;
/** Users re-ranked (or pairs scored) between two yields to the event loop. */
const SLICE = 2_000;

export type ScoredPopulation = {
  users: readonly CityUser[];
  index: ReadonlyMap<string, number>;
  /** The users as the pairing core takes them (candidates come from `pools`). */
  pairingUsers: PairingUser[];
  pools: RankedPool[];
  blocks: IndexPair[];
  recentPairs: IndexPair[];
  /** The full score of any two users of the snapshot, in or out of their pools (0 below minShared). */
  scorePair: (u: number, v: number) => number;
};

export type ScoringInput = {
  snapshot: Snapshot;
  weights: WeightSet;
  /** Block relations and pairs within this set's cooldown, by user id (either direction). */
  blocks: ReadonlyArray<readonly [string, string]>;
  recentPairs: ReadonlyArray<readonly [string, string]>;
  threads: number;
  /** Fraction done, 0..1. */
  onProgress: (fraction: number) => Promise<void>;
};

function signalsOf(
  u: number,
  candidates: Int32Array,
  rawOverlap: ArrayLike<number>,
  shared: ArrayLike<number>,
  ctx: {
    users: readonly CityUser[];
    minuteStart: Int32Array[];
    avgTicket: Float64Array;
    matrix: ScoringMatrix;
    weights: WeightSet;
    runMax: number;
  },
): PoolSignals {
  const { users, minuteStart, avgTicket, matrix, weights, runMax } = ctx;
  return {
    candidates,
    // The run stores raw overlaps as float32 and the pair stage scales them: the same bits here.
    overlap: Float64Array.from(candidates, (_, j) =>
      scaleOverlap(Math.fround(rawOverlap[j]!), weights.normalization, runMax),
    ),
    shared: Int32Array.from(candidates, (_, j) => shared[j]!),
    coPresenceCount: Int32Array.from(candidates, (v) =>
      coPresenceCount(
        users[u]!,
        minuteStart[u]!,
        users[v]!,
        minuteStart[v]!,
        matrix.stop,
        weights.coPresenceMinutes,
      ),
    ),
    avgTicketUser: avgTicket[u]!,
    avgTicketCandidate: Float64Array.from(candidates, (v) => avgTicket[v]!),
  };
}

export async function scorePopulation(input: ScoringInput): Promise<ScoredPopulation> {
  const { snapshot, weights } = input;
  const users = snapshot.users;
  const index = new Map(users.map((u, i) => [u.userId, i]));
  const matrix = buildCityMatrix(users, snapshot.merchants, weights);
  const minuteStart = users.map(minuteOffsets);
  const avgTicket = Float64Array.from(users, (u) => (u.txnCount > 0 ? u.amountCents / u.txnCount : 0));
  const toPairs = (pairs: ReadonlyArray<readonly [string, string]>): IndexPair[] =>
    pairs.flatMap(([a, b]) => {
      const x = index.get(a);
      const y = index.get(b);
      return x === undefined || y === undefined ? [] : [[x, y] as const];
    });
  const blocks = toPairs(input.blocks);
  const recentPairs = toPairs(input.recentPairs);
  await input.onProgress(0.05);

  const query = Int32Array.from(users.flatMap((u, i) => (u.merchants.length > 0 ? [i] : [])));
  const pools = await computeCandidates(matrix, {
    k: weights.candidatePoolSize,
    users: query,
    minSharedMerchants: weights.minSharedMerchants,
    eligibility: buildEligibility(users),
    ranges: ageRanges(users),
    exclude: exclusionsOf(users, [...input.blocks, ...input.recentPairs]),
    threads: query.length < INLINE_BELOW ? 0 : input.threads,
    onProgress: (done, total) => {
      void input.onProgress(0.05 + (0.6 * done) / Math.max(1, total)).catch(() => undefined);
    },
  });
  await input.onProgress(0.65);

  // With every user scored at once, the largest pool score is the run's largest pair.
  const runMax = weights.normalization === 'cosine' ? 1 : pools.maxOverlap;
  const ctx = { users, minuteStart, avgTicket, matrix, weights, runMax };
  const all = { ...weights, topK: Number.MAX_SAFE_INTEGER };
  const empty: RankedPool = {
    indices: new Int32Array(0),
    scores: new Float64Array(0),
    sharedCounts: new Int16Array(0),
  };
  const ranked: RankedPool[] = users.map(() => empty);
  for (let i = 0; i < pools.users.length; i++) {
    const u = pools.users[i]!;
    const start = pools.offsets[i]!;
    const end = pools.offsets[i + 1]!;
    if (end > start) {
      const order = rerankPool(
        signalsOf(
          u,
          pools.candidates.slice(start, end),
          pools.overlap.subarray(start, end),
          pools.shared.subarray(start, end),
          ctx,
        ),
        all,
      );
      ranked[u] = {
        indices: Int32Array.from(order, (r) => r.candidate),
        scores: Float64Array.from(order, (r) => r.score),
        sharedCounts: Int16Array.from(order, (r) => r.sharedMerchantCount),
      };
    }
    if (i % SLICE === SLICE - 1) {
      await input.onProgress(0.65 + (0.35 * i) / pools.users.length);
      await yieldToEventLoop();
    }
  }
  await input.onProgress(1);

  const pairingUsers: PairingUser[] = users.map(asPairingUser);

  const scorePair = (u: number, v: number): number => {
    const { overlap, shared } = pairOverlap(matrix, u, v);
    if (shared < weights.minSharedMerchants) return 0;
    const [r] = rerankPool(signalsOf(u, Int32Array.of(v), [overlap], [shared], ctx), { ...weights, topK: 1 });
    return r?.score ?? 0;
  };

  return { users, index, pairingUsers, pools: ranked, blocks, recentPairs, scorePair };
}
