import type { Eligibility } from '../../core/scoring/eligibility.ts';
import type { Ranges } from '../../core/scoring/filters.ts';
import type { WeightSet } from '../../core/scoring/weight-set.ts';
import { parsePayload } from '../../queue/payloads.ts';
import { addDays } from '../../queue/schedule.ts';
import { computeCandidates } from '../../scoring/parallel.ts';
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
      const matrix = buildCityMatrix(users, merchants, weights);
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
  const kernelStarted = performance.now();
  const pools = await computeCandidates(index.matrix, {
    k: weights.candidatePoolSize,
    users: query,
    minSharedMerchants: weights.minSharedMerchants,
    eligibility: index.eligibility,
    ranges: index.ranges,
    exclude: exclusionsOf(index.users, excludedPairs),
    threads: query.length < INLINE_BELOW ? 0 : ctx.config.SCORE_THREADS,
    onProgress: (doneUsers, total) => {
      void job.updateProgress(20 + Math.round((60 * doneUsers) / Math.max(1, total))).catch(() => undefined);
    },
  });
  const kernelSeconds = seconds(kernelStarted);
  await job.updateProgress(80);

  // The run's scale (its largest pair) lies between this shard's largest pair and the norm bound;
  // the pair stage knows it exactly and cuts each pool to topK.
  const maxOverlap = pools.maxOverlap;
  const cutStarted = performance.now();
  const rows: CandidateRow[] = shardCandidates({
    context: { ...index, query },
    pools,
    weights,
    scaleLo: maxOverlap,
    scaleHi: Math.max(maxOverlap, index.scaleBound),
  });
  const cutSeconds = seconds(cutStarted);
  const writeStarted = performance.now();
  await ctx.pipeline.writeCandidates(run.id, payload.shard, rows);
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
