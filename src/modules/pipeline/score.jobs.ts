import type { Eligibility } from '../../core/scoring/eligibility.ts';
import type { Ranges } from '../../core/scoring/filters.ts';
import type { WeightSet } from '../../core/scoring/weight-set.ts';
import { parsePayload } from '../../queue/payloads.ts';
import { addDays } from '../../queue/schedule.ts';
import type { CandidatePools } from '../../core/scoring/candidates.ts';
import { computeCandidates, shareMatrix } from '../../scoring/parallel.ts';
import { weightsOf } from '../runs/runs.service.ts';
import { coPresenceCounter } from './co-presence.ts';
import { runOfJob, seconds, type PipelineContext, type StageJob, type StageResult } from './context.ts';
import type { CandidateRow } from './pipeline.repository.ts';
import {
  ageRanges,
  buildCityMatrix,
  buildEligibility,
  exclusionsOf,
  overlapScaleBound,
  shardCandidates,
  type CityContext,
} from './shard-scoring.ts';

/** Below this many query users a city is scored on the job's own thread (threads cost ~50 ms). */
const INLINE_BELOW = 2_000;
/** Query users per kernel call: the kernel of one chunk overlaps the cut of the previous one. */
const CHUNK_USERS = 2_000;

type RunIndex = CityContext & { eligibility: Eligibility; ranges: Ranges; scaleBound: number };

/** Per pipeline context (one database), then per run and attempt. */
const indexCaches = new WeakMap<PipelineContext, Map<string, Promise<RunIndex>>>();

/**
 * The run's index (users, matrix, eligibility groups), built once per worker process and run:
 * every shard this process scores reuses it. Keyed by run and attempt; the two newest are kept.
 */
function runIndex(
  ctx: PipelineContext,
  runId: string,
  attempt: number,
  weights: WeightSet,
): Promise<RunIndex> {
  const key = `${runId}.${String(attempt)}`;
  let indexCache = indexCaches.get(ctx);
  if (indexCache === undefined) {
    indexCache = new Map();
    indexCaches.set(ctx, indexCache);
  }
  const cache = indexCache;
  let cached = indexCache.get(key);
  if (cached === undefined) {
    cached = (async () => {
      const [users, merchants] = await Promise.all([
        ctx.pipeline.loadUsers(runId),
        ctx.pipeline.merchants(runId),
      ]);
      // Shared once here: every kernel call of every shard reads it without a copy.
      const matrix = shareMatrix(buildCityMatrix(users, merchants, weights));
      const eligibility = buildEligibility(users);
      const avgTicket = Float64Array.from(users, (u) => (u.txnCount > 0 ? u.amountCents / u.txnCount : 0));
      return {
        users,
        matrix,
        eligibility,
        ranges: ageRanges(users),
        query: new Int32Array(0),
        coPresence: coPresenceCounter(
          users,
          matrix.stop,
          merchants.categories.length,
          weights.coPresenceMinutes,
        ),
        avgTicket,
        scaleBound: overlapScaleBound(matrix),
      };
    })();
    cached.catch(() => cache.delete(key));
    indexCache.set(key, cached);
    while (indexCache.size > 2) indexCache.delete(indexCache.keys().next().value as string);
  }
  return cached;
}

/**
 * Score one shard: load the run's index compactly (one COPY of per-user feature arrays, once per
 * worker process and run), build the matrix with the run's global N and df, generate the shard
 * users' exact pools with the eligibility filter applied during generation (worker threads, so
 * the event loop keeps renewing the job's lock), keep per user the candidates that can reach its
 * `topK` by the full score at the run's scale (not known yet: see `shardCandidates`), and replace
 * the shard's candidates rows in one transaction. A shard already recorded in the run's stages is
 * skipped (a duplicate after a Redis loss).
 */
export async function processScore(ctx: PipelineContext, job: StageJob): Promise<StageResult> {
  const payload = parsePayload('score', job.data);
  const run = await runOfJob(ctx, payload);
  if (run === undefined) return { skipped: 'stale' };
  if (run.status !== 'scoring') return { skipped: run.status };
  const done = (run.stages['score'] as { shards?: Record<string, unknown> } | undefined)?.shards;
  if (done?.[String(payload.shard)] !== undefined) return { skipped: 'shard_done' };

  const started = performance.now();
  const weights = weightsOf(run);
  const index = await runIndex(ctx, run.id, payload.attempt, weights);
  const loadSeconds = seconds(started);
  await job.updateProgress(20);
  const query = Int32Array.from(
    index.users.flatMap((u, i) => (u.shard === payload.shard && u.merchants.length > 0 ? [i] : [])),
  );
  // Blocks (both ways) and pairs within the cooldown never enter a pool: a user whose blocked
  // neighbours were the closest still gets a full pool of admissible ones.
  const excludedPairs = [...(await ctx.pipeline.runBlocks(run.id))];
  if (weights.repeatCooldownDays > 0) {
    const from = addDays(run.date, -weights.repeatCooldownDays);
    excludedPairs.push(...(await ctx.pipeline.recentPairs(run.id, from, run.date)));
  }
  // The kernel runs on a worker thread while this thread cuts the previous chunk's pools: with
  // one scoring thread per process, the cut (co-presence, re-ranking) no longer waits for the
  // kernel, nor the kernel for the cut. Each chunk's cut uses the largest pair seen so far as the
  // lower end of the run's scale: a lower bound too, so the stored pools are still supersets of
  // the final ones (the pair stage cuts exactly).
  const exclude = exclusionsOf(index.users, excludedPairs);
  const { inlineBelow, chunkUsers } = ctx.scoreChunks ?? {
    inlineBelow: INLINE_BELOW,
    chunkUsers: CHUNK_USERS,
  };
  const inline = query.length < inlineBelow;
  const parts: Int32Array[] = [];
  const chunk = inline
    ? Math.max(1, query.length)
    : Math.ceil(query.length / Math.ceil(query.length / chunkUsers));
  for (let s = 0; s < query.length; s += chunk) parts.push(query.subarray(s, s + chunk));
  if (parts.length === 0) parts.push(query);
  let scored = 0;
  const kernelOf = (part: Int32Array): Promise<CandidatePools> => {
    const pending = computeCandidates(index.matrix, {
      k: weights.candidatePoolSize,
      users: part,
      minSharedMerchants: weights.minSharedMerchants,
      eligibility: index.eligibility,
      ranges: index.ranges,
      exclude,
      threads: inline ? 0 : Math.max(1, ctx.config.SCORE_THREADS),
      onProgress: (doneUsers) => {
        const total = Math.max(1, query.length);
        void job.updateProgress(20 + Math.round((60 * (scored + doneUsers)) / total)).catch(() => undefined);
      },
    });
    // Awaited below; this only keeps a failure while the other chunk is cut from going unhandled.
    pending.catch(() => undefined);
    return pending;
  };
  let kernelWait = 0;
  let cutMs = 0;
  let maxOverlap = 0;
  const rows: CandidateRow[] = [];
  let next = kernelOf(parts[0]!);
  for (let i = 0; i < parts.length; i++) {
    const waitStarted = performance.now();
    const pools = await next;
    kernelWait += performance.now() - waitStarted;
    scored += parts[i]!.length;
    if (i + 1 < parts.length) next = kernelOf(parts[i + 1]!);
    const cutStarted = performance.now();
    // The run's scale (its largest pair) lies between the largest pair seen so far and the norm
    // bound; the pair stage knows it exactly and cuts each pool to topK.
    maxOverlap = Math.max(maxOverlap, pools.maxOverlap);
    for (const row of shardCandidates({
      context: { ...index, query: parts[i]! },
      pools,
      weights,
      scaleLo: maxOverlap,
      scaleHi: Math.max(maxOverlap, index.scaleBound),
    })) {
      rows.push(row);
    }
    cutMs += performance.now() - cutStarted;
  }
  await job.updateProgress(80);
  const kernelSeconds = Math.round(kernelWait / 10) / 100;
  const cutSeconds = Math.round(cutMs / 10) / 100;
  const writeStarted = performance.now();
  await ctx.pipeline.writeShardPools(run.id, payload.shard, rows);
  const writeSeconds = seconds(writeStarted);
  const candidates = rows.reduce((n, r) => n + r.candidateIds.length, 0);
  // Where the shard's time went (docs/scaling.md): the index load (first shard of a process
  // only), the kernel, the co-presence and topK cut, the COPY.
  const info = {
    seconds: seconds(started),
    loadSeconds,
    kernelSeconds,
    cutSeconds,
    writeSeconds,
    users: query.length,
    candidates,
    maxOverlap,
  };
  await ctx.runs.recordShard(run.id, payload.shard, info);
  await job.updateProgress(100);
  ctx.log.info(
    { runId: run.id, date: run.date, stage: 'score', shard: payload.shard, ...info },
    'stage done',
  );
  return info;
}
